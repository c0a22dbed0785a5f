"""The callbacks that make every run end the same way, whatever its length: a validation after the last
training step (unless validation is off), ``best.ckpt`` and ``last.ckpt`` written from it, and step
checkpoints that are never taken between a training step and the validation due right after it (a
checkpoint from there would resume past that validation).

Lightning has no public hook for "this is the last step" or "a validation follows": the helpers below read
its loop state (``_num_ready_batches_reached``, ``_should_check_val_fx``, ``_batches_that_stepped``, as in
Lightning 2.6); tests/contract/test_run_lifecycle.py and test_resume_contract.py pin the behaviour."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Checkpoint, EarlyStopping, LearningRateMonitor, ModelCheckpoint

from seq2seq.errors import ConfigError


def training_ends_after_this_batch(trainer: L.Trainer) -> bool:
    """True on the batch after which ``fit`` stops: ``max_steps`` reached, the last batch of the last epoch,
    or a stop requested by ``max_time`` (Lightning's Timer) or early stopping."""
    loop = trainer.fit_loop
    if loop.max_steps != -1 and trainer.global_step >= loop.max_steps:
        return True
    last_epoch = loop.max_epochs not in (None, -1) and trainer.current_epoch + 1 >= loop.max_epochs
    return (last_epoch and loop.epoch_loop._num_ready_batches_reached()) or trainer.should_stop


def validation_follows(trainer: L.Trainer) -> bool:
    """Whether Lightning runs a validation right after the current training batch."""
    loop = trainer.fit_loop.epoch_loop
    return trainer.enable_validation and loop._should_check_val_fx(trainer.fit_loop._data_fetcher)


class RunEnd(Checkpoint):
    """Forces a validation after the last training step and writes ``last.ckpt`` every ``every_n_steps``
    optimizer steps and at the end of a run without validation.

    A subclass of ``Checkpoint`` so that Lightning calls it after the other callbacks (the Timer of
    ``max_time`` decides to stop in the same hook) and before the ``ModelCheckpoint``s."""

    def __init__(self, ckpt_dir: Path, every_n_steps: int = 0, save: bool = True):
        self.last = Path(ckpt_dir) / "last.ckpt"
        self.every_n_steps, self.save = every_n_steps, save
        self._saved_step = -1
        self._forced = False  # this batch's validation runs only because training ends here
        self._stepped = None  # Lightning's count of stepped batches once that validation is over
        self._resume_stepped = None

    def on_train_batch_start(self, trainer: L.Trainer, pl_module, batch, batch_idx: int) -> None:
        self._forced = False
        if self._resume_stepped is not None:
            # Lightning counts a batch as stepped (the step the loggers use) after the validation that follows
            # it. Resumed from a checkpoint written in a validation of its own schedule, it completes that
            # count; from one written in a validation forced here, it may not (mid-epoch): set it.
            trainer.fit_loop.epoch_loop._batches_that_stepped = self._resume_stepped
            self._resume_stepped = None

    def on_train_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        final, scheduled = training_ends_after_this_batch(trainer), validation_follows(trainer)
        if final and trainer.enable_validation and not scheduled:
            # Lightning validates after a batch when a stop was requested (training_epoch_loop
            # `_should_check_val_fx`), also mid-epoch and on an epoch that check_val_every_n_epoch skips.
            self._forced = trainer.should_stop = True
            self._stepped = trainer.fit_loop.epoch_loop._batches_that_stepped + 1
            if not trainer.fit_loop.epoch_loop._should_check_val_epoch():
                trainer.check_val_every_n_epoch = None
        if scheduled or self._forced:
            return  # last.ckpt is written at the end of that validation, with its metrics
        step = trainer.global_step
        due = self.every_n_steps > 0 and step // self.every_n_steps > self._saved_step // self.every_n_steps
        if self.save and (final or due) and step != self._saved_step:
            trainer.save_checkpoint(self.last)
            self._saved_step = step

    def state_dict(self) -> dict:
        return {"stepped_after_validation": self._stepped if self._forced else None}

    def load_state_dict(self, state_dict: dict) -> None:
        self._resume_stepped = state_dict.get("stepped_after_validation")

    def on_validation_end(self, trainer: L.Trainer, pl_module) -> None:
        if not trainer.sanity_checking:
            self._saved_step = trainer.global_step  # the ModelCheckpoint below writes last.ckpt now
            check_monitor_logged(trainer, pl_module)


class KeepLastN(ModelCheckpoint):
    """``checkpoints/step-<N>.ckpt`` of the last N validations (``callbacks.keep_last_n``; ``seq2seq.average``):
    the top N by step. Its own class, so its state is not read as a best-metric record (``checkpoint_metrics``)."""

    def __init__(self, ckpt_dir: Path, n: int):
        super().__init__(dirpath=ckpt_dir, filename="step-{step}", monitor="step", mode="max", save_top_k=n,
                         auto_insert_metric_name=False, save_on_train_epoch_end=False)


def best_checkpoint(trainer: L.Trainer) -> ModelCheckpoint:
    """The callback that keeps best.ckpt (``trainer.checkpoint_callback`` is the first Checkpoint: RunEnd)."""
    return next(cb for cb in trainer.checkpoint_callbacks
                if isinstance(cb, ModelCheckpoint) and cb.monitor and not isinstance(cb, KeepLastN))


def check_monitor_logged(trainer: L.Trainer, pl_module) -> None:
    """A monitor that passed the check before training but is not logged (a per-class metric of a class the
    data does not have) stops the run at its first validation with the names that exist."""
    monitor = pl_module.run_config["task"]["monitor"]
    if monitor and monitor not in trainer.callback_metrics:
        logged = sorted(k for k in trainer.callback_metrics if k.startswith("val/"))
        raise ConfigError(f"task.monitor={monitor} was not logged by the validation; choose one of "
                          f"{', '.join(logged)}")


def build_callbacks(cfg: dict, run_dir: Path) -> list:
    """Best checkpoint, last checkpoint (after every validation), step checkpoints, early stopping and the
    learning-rate monitor, all following ``task.monitor`` / ``task.mode``."""
    task, cb = cfg["task"], cfg["callbacks"]
    ckpt_dir = run_dir / "checkpoints"
    callbacks = [RunEnd(ckpt_dir, cb["checkpoint_every_n_steps"], save=cb["save_last"]),
                 ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor=task["monitor"], mode=task["mode"],
                                 save_top_k=1, auto_insert_metric_name=False, save_on_train_epoch_end=False)]
    if cb["save_last"]:
        # last.ckpt = the latest state (Lightning's own save_last only follows new best checkpoints).
        callbacks.append(ModelCheckpoint(dirpath=ckpt_dir, filename="last", monitor=None, save_top_k=1,
                                         enable_version_counter=False, auto_insert_metric_name=False,
                                         save_on_train_epoch_end=False))
    if cb["keep_last_n"]:
        # checkpoints/step-<N>.ckpt after each of the last N validations (``python -m seq2seq.average``).
        callbacks.append(KeepLastN(ckpt_dir, cb["keep_last_n"]))
    if cb["ema"]["decay"]:
        from seq2seq.ema import EMA

        callbacks.append(EMA(cb["ema"]["decay"], cb["ema"]["every_n_steps"]))
    es = cb["early_stopping"]
    if es["enabled"]:
        # Checked after each validation only: at a train epoch's end the metric may not exist yet (a run
        # shorter than an epoch, or resumed from a checkpoint written at the end of a validation). Not
        # strict: RunEnd reports a monitor that a validation did not log, in one line.
        callbacks.append(EarlyStopping(monitor=task["monitor"], mode=task["mode"], patience=es["patience"],
                                       min_delta=es["min_delta"], check_on_train_epoch_end=False, strict=False))
    if cb["lr_monitor"] and cfg["logger"]["tensorboard"]:
        callbacks.append(LearningRateMonitor(logging_interval="step"))
    return callbacks


def check_monitor(task: dict, metrics: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> None:
    """``task.monitor`` must be one of the validation metrics the task kind logs (checked before any data is
    read). ``prefixes`` are per-class families such as ``f1_<label>``."""
    name = task["monitor"].removeprefix("val/")
    if name in metrics or any(name.startswith(p) and len(name) > len(p) for p in prefixes):
        return
    valid = [f"val/{m}" for m in metrics] + [f"val/{p}<class>" for p in prefixes]
    raise ConfigError(f"task.monitor={task['monitor']} is not logged by task.kind={task['kind']}; choose one of "
                      f"{', '.join(valid)}")
