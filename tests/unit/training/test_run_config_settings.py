"""A training module reads its NaN policy, scheduler monitor and histogram settings from the validated run
config it was attached with (``BaseTask.attach``), never from fallbacks written in the code: the schema is
the one place a default lives (its ``task.monitor`` default is val/chrf max, not val/loss min)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from conftest import compose_cfg

from seq2seq.errors import NonFiniteLossError
from seq2seq.tasks.seq2seq.module import Seq2SeqTask
from seq2seq.train_config import validate_train_config

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def task_for(train_overrides, *extra: str, attach: bool = True) -> Seq2SeqTask:
    """A tiny seq2seq module as ``from_config`` builds it, with a stand-in trainer at step 0."""
    cfg = validate_train_config(compose_cfg("train", [*train_overrides, "model.embedding_dim=8",
                                                      "model.hidden_size=8", *extra]))
    task = Seq2SeqTask(cfg["model"], cfg["optim"], cfg["scheduler"], cfg["decoding"], cfg["loss"], cfg["logger"],
                       12, 12, cfg["teacher_forcing"])
    if attach:
        task.attach({}, cfg)
    task.trainer = SimpleNamespace(precision="32-true", estimated_stepping_batches=10, global_step=0,
                                   log_every_n_steps=1)
    return task


def plateau(task: Seq2SeqTask) -> tuple[str, str]:
    sched = task.configure_optimizers()["lr_scheduler"]
    return sched["monitor"], sched["scheduler"].mode


def test_the_plateau_scheduler_follows_task_monitor_and_mode(train_overrides):
    assert plateau(task_for(train_overrides, "scheduler=plateau")) == ("val/chrf", "max")  # the schema's
    chosen = task_for(train_overrides, "scheduler=plateau", "task.monitor=val/loss", "task.mode=min")
    assert plateau(chosen) == ("val/loss", "min")
    with pytest.raises(KeyError, match="task"):  # no silent val/loss min for a module that never got a config
        task_for(train_overrides, "scheduler=plateau", attach=False).configure_optimizers()


def test_the_nan_policy_is_loss_on_nonfinite(train_overrides):
    nan = torch.tensor(float("nan"))
    with pytest.raises(NonFiniteLossError, match="loss.on_nonfinite=skip"):
        task_for(train_overrides).guard_loss(nan)  # the schema's default: error
    skipping = task_for(train_overrides, "loss.on_nonfinite=skip")
    logged = {}
    skipping.log = lambda name, value, **kwargs: logged.update({name: value})
    assert skipping.guard_loss(nan) is None and logged == {"train/skipped_batches": 1.0}
    assert skipping.guard_loss(torch.tensor(0.5)) == 0.5


class Writer:
    def __init__(self):
        self.steps: set[int] = set()

    def add_histogram(self, tag, values, step):
        self.steps.add(step)


@pytest.mark.parametrize(("extra", "written"), [((), set()),  # the schema's default: off
                                                (("logger.histograms=true", "logger.histogram_every_n_steps=3"),
                                                 {0, 3, 6})])
def test_histograms_follow_the_logger_section(train_overrides, monkeypatch, extra, written):
    task = task_for(train_overrides, *extra)
    writer = Writer()
    monkeypatch.setattr(Seq2SeqTask, "tensorboard", property(lambda self: writer))
    for p in task.parameters():
        p.grad = torch.ones_like(p)
    for step in range(8):
        task.write_histograms(step)
    assert writer.steps == written
