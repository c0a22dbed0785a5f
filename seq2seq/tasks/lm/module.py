"""LightningModule for language modelling with truncated BPTT (``task=lm``).

Design (TBPTT under automatic optimisation): a batch is one window of ``bptt`` tokens of the same stream
rows as the previous batch (``seq2seq.data.text.streams``). ``CarriedState`` (``seq2seq.models.tbptt``) keeps
the recurrent state of each row between ``training_step`` calls, detached, and resets it at every epoch
start, so each window is an ordinary optimisation step: ``Trainer(gradient_clip_val=...)``,
``accumulate_grad_batches``, schedulers and DDP work as for every other task, and no manual optimisation
is needed. Validation and test carry their own state the same way, so the loss of a split is the loss of
one forward pass over each of its streams. A checkpoint holds the training streams' state (single
process), so a run resumed mid-epoch continues exactly where it stopped.
"""

from __future__ import annotations

import math

import torch

from seq2seq.data.text.datamodule import STAGE_SPLITS, TextDataModule
from seq2seq.data.text.prompts import sample_prompts
from seq2seq.inference.lm import LMPredictor, build_lm, window_nll
from seq2seq.models.tbptt import CarriedState
from seq2seq.tasks.base import BaseTask
from seq2seq.tasks.lm.config import check_lm_config
from seq2seq.tasks.seq2seq.metrics import perplexity

LN2 = math.log(2)
__all__ = ["LanguageModelTask", "TextDataModule"]


class LanguageModelTask(BaseTask):
    kind = "lm"
    predictor_class = LMPredictor
    val_metrics = ("loss", "bpc", "ppl")

    def __init__(self, model: dict, optim: dict, scheduler: dict, decoding: dict, logging: dict,
                 vocab_size: int, bptt_backprop: int = 1):
        super().__init__()
        self.save_hyperparameters()
        self.model = build_lm(model, vocab_size)
        self.streams = {"train": CarriedState(bptt_backprop), "val": CarriedState(), "test": CarriedState()}
        self._eval: dict = {}
        self._resumed: dict | None = None  # the training streams' state saved in a mid-epoch checkpoint
        self._continuing = False  # True from a mid-epoch resume until its first training step

    @classmethod
    def from_config(cls, cfg: dict, datamodule) -> LanguageModelTask:
        check_lm_config(cfg["data"], cfg["model"])
        tok = datamodule.tokenizer
        task = cls(cfg["model"], cfg["optim"], cfg["scheduler"], cfg["decoding"], cfg["logger"],
                   tok.vocab_size, cfg["data"]["bptt_backprop"])
        task.attach({"text": tok}, cfg)
        return task

    def window_nll(self, carried: CarriedState, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Summed NLL (nats) of the window's real targets and their number; ``carried`` continues the rows."""
        return window_nll(self.model, carried, batch)

    def _bits_per_nat(self, stage: str) -> float:
        """Converts a per-token loss (nats) of ``stage``'s split into bits per character."""
        return self.trainer.datamodule.split(STAGE_SPLITS[stage]).tokens_per_char / LN2

    # -- training --------------------------------------------------------------------------------------
    def on_train_start(self) -> None:
        """A run resumed from a mid-epoch checkpoint: the datamodule skips the windows already trained on,
        and the saved state (and TBPTT history) continues the streams from there."""
        saved, self._resumed = self._resumed, None
        if not saved or saved["epoch"] != self.current_epoch:
            return
        if 0 < saved["windows"] < self.trainer.num_training_batches:
            self.streams["train"].load(saved, self.device)
            self._continuing = True

    def on_train_epoch_start(self) -> None:
        # Lightning skips this hook when it resumes mid-epoch; either way a resumed epoch keeps its state.
        if not self._continuing:
            self.streams["train"].reset()

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        # Single process only: under DDP each rank holds other rows, and only rank 0 writes the file; a
        # resumed DDP run restarts the remaining windows of that epoch from a zero state.
        if self.trainer.world_size == 1:
            checkpoint["seq2seq"]["tbptt"] = {"epoch": self.current_epoch, **self.streams["train"].to_state()}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        super().on_load_checkpoint(checkpoint)
        self._resumed = checkpoint.get("seq2seq", {}).get("tbptt")

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor | None:
        nll, count = self.window_nll(self.streams["train"], batch)
        loss = nll / count.clamp(min=1)  # a rank's last window may hold only padding: loss 0, no gradient
        self._continuing = False
        if self.guard_loss(loss) is None:
            return None
        rows = batch["input"].size(0)
        self.log("train/loss", loss, prog_bar=True, batch_size=rows)
        self.log("train/ppl", torch.exp(loss.detach().clamp(max=50)), batch_size=rows)
        self.log("train/bpc", loss.detach() * self._bits_per_nat("train"), batch_size=rows)
        return loss

    # -- validation and test ---------------------------------------------------------------------------
    def start_eval(self, stage: str) -> None:
        self.streams[stage].reset()
        zero = torch.zeros((), device=self.device)
        self._eval = {"nll": zero.clone(), "tokens": zero.clone()}

    def eval_step(self, stage: str, batch: dict) -> None:
        nll, count = self.window_nll(self.streams[stage], batch)
        self._eval["nll"] += nll
        self._eval["tokens"] += count

    def finish_eval(self, stage: str) -> None:
        loss = self.reduce_sum(self._eval["nll"]) / self.reduce_sum(self._eval["tokens"]).clamp(min=1)
        metrics = {f"{stage}/loss": loss, f"{stage}/bpc": loss * self._bits_per_nat(stage),
                   f"{stage}/ppl": perplexity(float(loss))}
        self.log_dict(metrics, prog_bar=stage == "val", sync_dist=False)
        if stage == "val":
            self._log_samples()

    def _log_samples(self) -> None:
        """Generated continuations of a few validation-text prompts, as TensorBoard text (rank 0 only)."""
        writer, n = self.tensorboard, self.hparams.logging["samples"]
        if writer is None or n <= 0:
            return
        d, predictor = self.hparams.decoding, self.predictor()
        generator = predictor.generator(d["seed"] if d["seed"] is not None else 0)
        blocks = []
        for prompt in sample_prompts(self.trainer.datamodule.split("valid").text, n):
            text, _ = predictor.continue_text(prompt, d, generator)
            # Markdown: an indented block keeps the generated line breaks.
            blocks.append(f"prompt: `{prompt}`\n\n" + "\n".join("    " + line for line in text.split("\n")))
        header = f"temperature {d['temperature']}, top_k {d['top_k']}, top_p {d['top_p']}, len {d['length']}"
        writer.add_text("val/samples", header + "\n\n" + "\n\n---\n\n".join(blocks), self.global_step)
