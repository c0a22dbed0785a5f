"""What every task's LightningModule shares: checkpoint contents, optimisers, device transfer,
gradient-norm logging and gathering of per-rank results."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
import torch.distributed as dist
from lightning.pytorch.loggers import TensorBoardLogger

from seq2seq import __version__
from seq2seq.errors import NonFiniteLossError
from seq2seq.optim import build_optimizer, build_scheduler
from seq2seq.rng import capture_rng, restore_rng
from seq2seq.tokenizers import Tokenizer, tokenizer_from_state


def total_grad_norm(parameters) -> torch.Tensor | None:
    """The 2-norm of all gradients together, computed on the device: no host sync (Lightning's
    ``grad_norm`` reads every per-parameter norm back to the host)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return None
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.float()) for g in grads]))


class BaseTask(L.LightningModule):
    """Subclasses call ``save_hyperparameters`` with plain values only (the checkpoint must load with
    ``weights_only=True``); tokenizers and the resolved run config travel in ``checkpoint["seq2seq"]``."""

    kind = ""
    predictor_class: type = None  # the task's seq2seq.inference predictor
    # The names (without "val/") that finish_eval("val") logs, and per-class families such as "f1_<label>":
    # task.monitor is checked against them before training.
    val_metrics: tuple[str, ...] = ()

    @staticmethod
    def scorer_signatures() -> dict[str, str]:
        """Which external scorer and settings produced each metric (sacrebleu's signatures for BLEU/chrF),
        written into metrics.json beside the test scores; empty for tasks scored by this project alone."""
        return {}
    val_metric_prefixes: tuple[str, ...] = ()

    def __init__(self):
        super().__init__()
        self.tokenizers: dict[str, Tokenizer] = {}
        self.run_config: dict = {}
        self._skipped_batches = 0

    def attach(self, tokenizers: dict[str, Tokenizer], run_config: dict) -> None:
        """``run_config``: the validated (complete) config; training indexes its sections directly, so a
        module built without it (a model-only test) fails loudly if it ever trains."""
        self.tokenizers = dict(tokenizers)
        self.run_config = run_config

    # -- checkpoints -----------------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["seq2seq"] = {
            "version": __version__,
            "kind": self.kind,
            "tokenizers": {name: tok.state() for name, tok in self.tokenizers.items()},
            "config": self.run_config,
            # Dropout and sampling continue exactly where the interrupted run was.
            "rng": capture_rng(),
            "skipped_batches": self._skipped_batches,
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        # Lightning's raw dict (``train ckpt_path=<file>`` is not read through read_checkpoint first): optional
        # content. The file's config is taken only by a module without one, i.e. load_task's, which passes
        # read_checkpoint's completed dict; a training module keeps its own validated run config.
        extra = checkpoint.get("seq2seq", {})
        if not self.tokenizers and extra.get("tokenizers"):
            self.tokenizers = {n: tokenizer_from_state(s) for n, s in extra["tokenizers"].items()}
        self.run_config = self.run_config or extra.get("config", {})
        self._skipped_batches = extra.get("skipped_batches", 0)
        trainer = self._trainer  # the public property raises when no Trainer is attached (evaluate/predict)
        if trainer is not None and trainer.state.fn == "fit" and "rng" in extra:
            restore_rng(extra["rng"])

    # -- non-finite losses -------------------------------------------------------------------------------
    def guard_loss(self, loss: torch.Tensor) -> torch.Tensor | None:
        """``loss.on_nonfinite``: ``error`` stops the run with a clear message (checked at logging steps and
        before every validation, so no host sync per step); ``skip`` drops the batch (a sync per step) and
        counts it as ``train/skipped_batches``."""
        policy = self.run_config["loss"]["on_nonfinite"]
        if policy == "skip":
            if not bool(torch.isfinite(loss)):
                self._skipped_batches += 1
                self.log("train/skipped_batches", float(self._skipped_batches))
                return None
            return loss
        step = self.trainer.global_step if self.trainer is not None else 0
        if step % max(1, self.trainer.log_every_n_steps if self.trainer else 1) == 0 and not bool(torch.isfinite(loss)):
            raise NonFiniteLossError(f"training loss became {float(loss)} at step {step}; {self._nonfinite_fix()}")
        return loss

    def on_validation_start(self) -> None:
        if self.trainer is not None and not self.trainer.sanity_checking:
            bad = [n for n, p in self.named_parameters() if not bool(torch.isfinite(p).all())]
            if bad:
                raise NonFiniteLossError(f"parameter {bad[0]} holds NaN/inf at step {self.trainer.global_step}; "
                                         f"no checkpoint was written from it; {self._nonfinite_fix()}")

    def _nonfinite_fix(self) -> str:
        """Only the fixes this run can still apply: skip is not offered when already set or under DDP
        (which refuses it), clipping not when already on."""
        fixes = [f"lower optim.lr (now {self.hparams.optim['lr']:g})"]
        trainer_cfg = self.run_config["trainer"]
        if trainer_cfg["gradient_clip_val"] in (None, 0, 0.0):
            fixes.append("set trainer.gradient_clip_val=1.0")
        if self.run_config["loss"]["on_nonfinite"] != "skip" and "ddp" not in str(trainer_cfg["strategy"]):
            fixes.append("set loss.on_nonfinite=skip to skip such batches")
        return ", or ".join(fixes)

    # -- device transfer ---------------------------------------------------------------------------------
    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        """Keys ending in ``_cpu`` stay on the host (sequence lengths for packing)."""
        if not isinstance(batch, dict):
            return super().transfer_batch_to_device(batch, device, dataloader_idx)
        host = {k: v for k, v in batch.items() if k.endswith("_cpu")}
        moved = super().transfer_batch_to_device({k: v for k, v in batch.items() if k not in host}, device,
                                                 dataloader_idx)
        moved.update(host)
        return moved

    # -- optimisation ----------------------------------------------------------------------------------
    def configure_optimizers(self):
        optim = dict(self.hparams.optim)
        if self.trainer is not None and "mixed" in str(self.trainer.precision):
            optim["fused"] = False  # Lightning cannot clip the gradients of fused optimizers under AMP
        optimizer = build_optimizer(self.parameters(), optim)
        task = self.run_config["task"]
        total = self.trainer.estimated_stepping_batches if self.trainer is not None else 1
        sched = build_scheduler(optimizer, self.hparams.scheduler, task["monitor"], task["mode"],
                                int(total) if total != float("inf") else 100_000)
        if sched is not None and "monitor" in sched:
            # An epoch that check_val_every_n_epoch skips has no value of the monitor yet: the plateau waits.
            sched["strict"] = False
        return optimizer if sched is None else {"optimizer": optimizer, "lr_scheduler": sched}

    def on_before_optimizer_step(self, optimizer) -> None:
        # Runs before Lightning clips, so this is the norm before clipping. Only at logging steps.
        if self.trainer.global_step % max(1, self.trainer.log_every_n_steps) == 0:
            norm = total_grad_norm(self.parameters())
            if norm is not None:
                self.log("train/grad_norm", norm)
        self.write_histograms(self.trainer.global_step)

    def write_histograms(self, step: int) -> None:
        """``logger.histograms``: every parameter and its gradient (here unscaled, not yet clipped nor zeroed)
        as TensorBoard histograms ``params/<name>`` and ``grads/<name>``, every
        ``logger.histogram_every_n_steps`` optimizer steps. Non-finite values (fp16 overflow steps) are left out."""
        options = self.run_config["logger"]
        if not options["histograms"] or step % options["histogram_every_n_steps"]:
            return
        writer = self.tensorboard
        if writer is None:
            return
        for name, param in self.named_parameters():
            for tag, values in ((f"params/{name}", param), (f"grads/{name}", param.grad)):
                finite = _finite(values)
                if finite is not None:
                    writer.add_histogram(tag, finite, step)

    # -- validation and test: one flow for every task; tasks implement the three stage methods -------------
    def on_validation_epoch_start(self) -> None:
        self.start_eval("val")

    def on_test_epoch_start(self) -> None:
        self.start_eval("test")

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self.eval_step("val", batch)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self.eval_step("test", batch)

    def on_validation_epoch_end(self) -> None:
        self.finish_eval("val")

    def on_test_epoch_end(self) -> None:
        self.finish_eval("test")

    def start_eval(self, stage: str) -> None:
        """Reset the accumulators of ``stage`` (``val`` or ``test``)."""
        raise NotImplementedError

    def eval_step(self, stage: str, batch: dict) -> None:
        """Accumulate one batch (on the device where possible: no host sync per batch)."""
        raise NotImplementedError

    def finish_eval(self, stage: str) -> None:
        """Reduce over ranks and log ``<stage>/...`` metrics (and pictures)."""
        raise NotImplementedError

    # -- what the CLIs call; every task implements these ---------------------------------------------------
    @classmethod
    def from_config(cls, cfg: dict, datamodule) -> BaseTask:
        """The module for a validated run config, with tokenizers etc. taken from the prepared datamodule."""
        raise NotImplementedError

    def predictor(self):
        """The inference object (``seq2seq.inference``) around this module's own model and tokenizers:
        evaluate and predict are implemented there once, for checkpoints and live modules alike."""
        return self.predictor_class(self.model, self.tokenizers, self.run_config, dict(self.hparams))

    def evaluate_data(self, split: str, input_path: str | None, options: dict, out_dir) -> dict:
        """Score ``split`` of the run's data (or the file ``input_path``), write predictions into ``out_dir``,
        return metrics including ``examples``."""
        return self.predictor().evaluate(split, input_path, options, Path(out_dir))

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """Outputs for raw input lines (``seq2seq.predict``)."""
        return self.predictor().predict_lines(lines, options, show_scores)

    # -- helpers -------------------------------------------------------------------------------------
    def gather_objects(self, obj) -> list:
        """Every rank's ``obj``, in rank order (a one-element list without DDP)."""
        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return [obj]
        out = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out

    def reduce_sum(self, value: torch.Tensor) -> torch.Tensor:
        if self.trainer is None or self.trainer.world_size == 1:
            return value
        return self.trainer.strategy.reduce(value, reduce_op="sum")

    @property
    def tensorboard(self):
        """The SummaryWriter on global rank 0 when TensorBoard logging is on, else None."""
        if self.trainer is None or self.trainer.sanity_checking or self.global_rank != 0:
            return None
        for logger in self.loggers:
            if isinstance(logger, TensorBoardLogger):
                return logger.experiment
        return None


def _finite(values: torch.Tensor | None) -> torch.Tensor | None:
    """The finite entries of ``values`` as float32 on the CPU, or None when there are none."""
    if values is None:
        return None
    flat = values.detach().float().flatten()
    flat = flat[torch.isfinite(flat)]
    return flat.cpu() if flat.numel() else None
