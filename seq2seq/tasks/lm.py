"""LightningModule for language modelling with truncated BPTT (``task=lm``).

Design (TBPTT under automatic optimisation): a batch is one window of ``bptt`` tokens of the same stream
rows as the previous batch (``seq2seq.data.streams``). ``CarriedState`` (``seq2seq.models.tbptt``) keeps
the recurrent state of each row between ``training_step`` calls, detached, and resets it at every epoch
start, so each window is an ordinary optimisation step: ``Trainer(gradient_clip_val=...)``,
``accumulate_grad_batches``, schedulers and DDP work as for every other task, and no manual optimisation
is needed. Validation and test carry their own state the same way, so the loss of a split is the loss of
one forward pass over each of its streams. A checkpoint holds the training streams' state (single
process), so a run resumed mid-epoch continues exactly where it stopped.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from seq2seq.data.lm_datamodule import STAGE_SPLITS, TextDataModule
from seq2seq.data.lm_text import encode_text, load_text, read_text_splits
from seq2seq.data.prompts import escape_newlines, normalize_prompt, sample_prompts, unescape_newlines
from seq2seq.data.streams import StreamWindows
from seq2seq.errors import ConfigError
from seq2seq.metrics import perplexity
from seq2seq.models.lm import RNNLanguageModel, generate
from seq2seq.models.tbptt import CarriedState
from seq2seq.tasks.base import BaseTask
from seq2seq.tasks.lm_config import check_lm_config  # importing it registers data.kind=text, model.kind=lm
from seq2seq.tokenizers import BOS, PAD

LN2 = math.log(2)
__all__ = ["LanguageModelTask", "TextDataModule"]


class LanguageModelTask(BaseTask):
    kind = "lm"

    def __init__(self, model: dict, optim: dict, scheduler: dict, decoding: dict, logging: dict,
                 vocab_size: int, bptt_backprop: int = 1):
        super().__init__()
        self.save_hyperparameters()
        self.model = RNNLanguageModel(vocab_size, **{k: v for k, v in model.items() if k != "kind"})
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
        logits = carried(self.model, batch["input"])
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))  # fp32 loss under half precision
        target = batch["target"]
        nll = F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=PAD, reduction="sum")
        return nll, (target != PAD).sum()

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
        d = self.hparams.decoding
        generator = self._generator(d["seed"] if d["seed"] is not None else 0)
        blocks = []
        for prompt in sample_prompts(self.trainer.datamodule.split("valid").text, n):
            text, _ = self.continue_text(prompt, d, generator)
            # Markdown: an indented block keeps the generated line breaks.
            blocks.append(f"prompt: `{prompt}`\n\n" + "\n".join("    " + line for line in text.split("\n")))
        header = f"temperature {d['temperature']}, top_k {d['top_k']}, top_p {d['top_p']}, len {d['length']}"
        writer.add_text("val/samples", header + "\n\n" + "\n\n---\n\n".join(blocks), self.global_step)

    # -- generation --------------------------------------------------------------------------------------
    def _generator(self, seed: int | None) -> torch.Generator | None:
        return None if seed is None else torch.Generator(device=self.device).manual_seed(seed)

    @torch.no_grad()
    def continue_text(self, prompt: str, decoding: dict,
                      generator: torch.Generator | None = None) -> tuple[str, float]:
        """``prompt`` (already normalised) followed by ``decoding["length"]`` sampled tokens, and the
        log-probability of the sampled tokens. Every prompt starts from ``<bos>`` and a zero state, as every
        training stream does. The prompt is returned as given, not as decoded from its ids (characters the
        vocabulary lacks would read ``<unk>``)."""
        tok = self.tokenizers["text"]
        ids = tok.encode(prompt) if prompt else []
        prompt_ids = torch.tensor([[BOS, *ids]], dtype=torch.long, device=self.device)
        new, score = generate(self.model, prompt_ids, decoding["length"], decoding["temperature"],
                              decoding["top_k"], decoding["top_p"], generator)
        # Decoded together, so a subword tokenizer puts the space between prompt and continuation.
        whole, head = tok.decode(ids + new[0].tolist()), tok.decode(ids)
        continuation = whole[len(head):] if whole.startswith(head) else tok.decode(new[0].tolist())
        return prompt + continuation, float(score[0])

    # -- evaluate / predict CLIs -------------------------------------------------------------------------
    @torch.no_grad()
    def stream_nll(self, windows: StreamWindows) -> tuple[float, int]:
        """Summed NLL and number of targets over all windows, the state carried from window to window."""
        carried, nll, count = CarriedState(), 0.0, 0
        for j in range(len(windows)):
            batch = {k: v.to(self.device) for k, v in windows[j].items()}
            window_nll, window_count = self.window_nll(carried, batch)
            nll, count = nll + float(window_nll), count + int(window_count)
        return nll, count

    def evaluate_data(self, split: str, input_path: str | None, decoding: dict, out_dir: Path) -> dict:
        """Loss, bits per character and perplexity of a split of the training text (or of the text file
        ``input_path``, normalised the same way); writes ``sample.txt``, text generated from a prompt taken
        from that text. ``examples`` counts characters."""
        data = self.run_config["data"]
        if input_path:
            name, text = Path(input_path).name, load_text(data, input_path)
        else:
            texts = read_text_splits(data)
            if split not in texts:
                raise ConfigError(f"split={split!r} is not one of {sorted(texts)}")
            name, text = split, texts[split]
        part = encode_text(self.tokenizers["text"], text, name)
        rows = max(1, min(data["eval_batch_size"], len(part.ids)))
        nll, count = self.stream_nll(StreamWindows(part.ids, rows, data["bptt"], name=name))
        loss = nll / max(count, 1)
        prompt = sample_prompts(text, 1)[0]
        sample, _ = self.continue_text(prompt, decoding, self._generator(decoding["seed"]))
        (out_dir / "sample.txt").write_text(sample + "\n", encoding="utf-8")
        return {"loss": loss, "bpc": part.bits_per_char(loss), "ppl": perplexity(loss), "tokens": count,
                "characters": len(text), "examples": len(text)}

    def predict_lines(self, lines: list[str], decoding: dict, show_scores: bool = False) -> list[str]:
        """Each line is a prompt (``\\n`` in it is a newline); each output is the prompt as typed and its
        continuation on one line, newlines written as ``\\n``. With ``decoding.seed`` line ``i`` (from 0)
        draws from a generator seeded with ``seed + i``: reproducible, whatever the other lines hold."""
        out = []
        for i, line in enumerate(lines):
            typed = unescape_newlines(line)
            prompt = normalize_prompt(typed, self.run_config.get("data", {}))
            seed = None if decoding["seed"] is None else decoding["seed"] + i
            text, score = self.continue_text(prompt, decoding, self._generator(seed))
            shown = escape_newlines(typed + text[len(prompt):])
            out.append(f"{score:.4f}\t{shown}" if show_scores else shown)
        return out
