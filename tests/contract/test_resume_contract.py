"""``resume=`` of a killed run, for every task: from a step checkpoint inside an epoch and from the
``last.ckpt`` a default run writes at an epoch's end (after its validation), the resumed run continues the
same loss curve and the same validations as an uninterrupted run, bitwise on CPU. The kill is simulated
in-process (an exception after a training step: nothing after it is written, as with SIGKILL);
tests/unit/training/test_resume.py kills real processes."""

from __future__ import annotations

import pytest
import torch
from conftest import compose_cfg, tb_scalars
from lightning.pytorch.callbacks import Callback
from tiny_runs import TASKS, task_overrides

import seq2seq.fit as fit_module  # the Lightning run behind train()
from seq2seq.errors import RunError
from seq2seq.train import train


class Killed(BaseException):
    """Not an Exception: nothing may catch it on the way out, as nothing catches SIGKILL."""


class KillAfterStep(Callback):
    """Kills the run after training step ``step``, or in the validation that follows it."""

    def __init__(self, step: int, in_validation: bool):
        self.step, self.in_validation = step, in_validation

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step >= self.step and not self.in_validation:
            raise Killed

    def on_validation_start(self, trainer, pl_module) -> None:
        if trainer.global_step >= self.step and self.in_validation:
            raise Killed


def curves(run) -> dict[str, list]:
    """Each curve's distinct (step, value) points: the killed run's last steps may have reached its event file
    before the kill and are logged again, identically, by the resumed run."""
    return {tag: sorted(set(points)) for tag, points in tb_scalars(run).items()}


def resume(run) -> dict:
    """``resume=<run>`` in-process (the paths only stand in for Hydra's; the run's saved config wins)."""
    return train(compose_cfg("train", [f"resume={run}", f"paths.output_dir={run}", f"paths.cache_dir={run}"]))


def killed_run(monkeypatch, overrides: list[str], step: int, in_validation: bool) -> None:
    build = fit_module.build_callbacks
    kill = KillAfterStep(step, in_validation)
    monkeypatch.setattr(fit_module, "build_callbacks", lambda cfg, run: [kill, *build(cfg, run)])
    with pytest.raises(Killed):
        train(compose_cfg("train", overrides))
    monkeypatch.setattr(fit_module, "build_callbacks", build)


# (checkpoint_every_n_steps, killed after step, killed in its validation, step of last.ckpt): the tiny runs
# train 4 batches per epoch and validate at its end (step 4); a step checkpoint due at a step that a
# validation follows is written after it (one from before would resume past that validation).
CHECKPOINTS = {"step_checkpoint_mid_epoch": (3, 7, False, 6), "default_last_ckpt_at_epoch_end": (0, 6, False, 4),
               "step_checkpoint_at_epoch_end": (4, 7, False, 4),
               "killed_in_the_epoch_end_validation": (2, 4, True, 2)}


# Every task resumes the two checkpoints a default run relies on; translation and the LM (manual
# optimisation, TBPTT) every kind of checkpoint.
CASES = [(task, c) for task in TASKS for c in CHECKPOINTS
         if task in ("translation", "lm") or c in ("default_last_ckpt_at_epoch_end", "killed_in_the_epoch_end_validation")]


@pytest.mark.parametrize(("task", "checkpoint"), CASES)
def test_resume_of_a_killed_run_continues_the_same_curves(task, checkpoint, pairs, cache_dir, tmp_path, monkeypatch):
    every, kill_at, in_validation, saved_at = CHECKPOINTS[checkpoint]
    extra = ["trainer.deterministic=true", f"callbacks.checkpoint_every_n_steps={every}", "test_after_fit=false"]
    reference = train(compose_cfg("train", task_overrides(task, pairs, cache_dir, tmp_path / "full", *extra)))
    run = tmp_path / "killed"
    killed_run(monkeypatch, task_overrides(task, pairs, cache_dir, run, *extra), kill_at, in_validation)
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == saved_at

    resumed = resume(run)
    assert resumed["global_step"] == reference["global_step"] and resumed["objective"] == reference["objective"]
    assert curves(run) == curves(tmp_path / "full")
    assert (run / "checkpoints" / "best.ckpt").is_file()


def test_a_run_directory_holds_one_run(pairs, cache_dir, tmp_path):
    run = tmp_path / "run"
    overrides = task_overrides("translation", pairs, cache_dir, run)
    train(compose_cfg("train", overrides))
    with pytest.raises(RunError, match=rf"{run}: already holds a run \(config.yaml\); continue it with resume="):
        train(compose_cfg("train", overrides))
    resume(run)  # the finished run, resumed: nothing left to train


# Runs that stop where no validation was scheduled (the validation is forced), continued by a longer run.
STOPS = {"translation": ["trainer.max_steps=3"],  # inside the first epoch
         "classify": ["trainer.max_epochs=1", "trainer.check_val_every_n_epoch=2"]}  # an epoch it does not validate


@pytest.mark.parametrize("task", STOPS)
def test_a_short_run_continued_from_its_last_ckpt_follows_the_long_run(task, pairs, cache_dir, tmp_path):
    extra = ["trainer.deterministic=true", "test_after_fit=false"]
    full = tmp_path / "full"
    train(compose_cfg("train", task_overrides(task, pairs, cache_dir, full, *extra)))
    short = train(compose_cfg("train", task_overrides(task, pairs, cache_dir, tmp_path / "short", *extra,
                                                      *STOPS[task])))
    ckpt = tmp_path / "short" / "checkpoints" / "last.ckpt"
    train(compose_cfg("train", task_overrides(task, pairs, cache_dir, tmp_path / "more", *extra, f"ckpt_path={ckpt}")))
    reference = {tag: [p for p in points if p[0] >= short["global_step"]] for tag, points in curves(full).items()}
    assert curves(tmp_path / "more") == {tag: points for tag, points in reference.items() if points}
