"""Resilience: a run killed with SIGKILL mid-epoch and resumed follows the uninterrupted loss curve;
checkpoints are atomic, load with weights_only=True, and bad ones give one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import ROOT, make_reversal_pairs, tb_scalars
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

pytestmark = pytest.mark.slow


def overrides(corpus: Path, run: Path, cache: Path) -> list[str]:
    return [f"data.path={corpus}", "data.valid_size=10", "data.test_size=10", "data.batch_size=8",
            f"hydra.run.dir={run}", f"paths.cache_dir={cache}", "trainer.accelerator=cpu", "trainer.devices=1",
            "trainer.max_epochs=100", "trainer.max_steps=150", "trainer.log_every_n_steps=1",
            "trainer.deterministic=true", "trainer.enable_progress_bar=false", "trainer.num_sanity_val_steps=0",
            "callbacks.early_stopping.enabled=false", "callbacks.checkpoint_every_n_steps=7",
            "model.hidden_size=32", "model.embedding_dim=16", "model.dropout=0.3", "test_after_fit=false",
            "logger.samples=0"]


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "seq2seq.train", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def loss_curve(run: Path) -> dict[int, float]:
    acc = EventAccumulator(str(run / "tensorboard")).Reload()
    return {e.step: e.value for e in acc.Scalars("train/loss")}


def checkpoint_step(path: Path) -> int:
    try:
        return int(torch.load(path, weights_only=True)["global_step"])
    except Exception:  # not there yet
        return -1


def test_sigkill_mid_epoch_then_resume_follows_the_same_loss_curve(tmp_path):
    corpus = tmp_path / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(120, lo=4, hi=4)), encoding="utf-8")
    full, broken = tmp_path / "full", tmp_path / "broken"
    proc = start(overrides(corpus, full, tmp_path / "cache"), tmp_path)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()

    proc = start(overrides(corpus, broken, tmp_path / "cache"), tmp_path)
    last = broken / "checkpoints" / "last.ckpt"
    deadline = time.time() + 300
    while checkpoint_step(last) < 21 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = checkpoint_step(last)
    position = torch.load(last, weights_only=True)["PairDataModule"]["position"]
    assert 21 <= killed_at < 150 and position > 0  # the checkpoint to resume from is mid-epoch

    proc = start([f"resume={broken}"], tmp_path)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    reference, resumed = loss_curve(full), loss_curve(broken)
    assert sorted(resumed) == sorted(reference) and len(reference) == 150
    worst = max(abs(reference[s] - resumed[s]) for s in reference)
    assert worst <= 1e-6, f"resumed curve differs by {worst}"
    assert not list((broken / "checkpoints").glob(".*tmp*"))  # atomic writes leave no temporaries
    for ckpt in (broken / "checkpoints").glob("*.ckpt"):
        torch.load(ckpt, weights_only=True)


def test_resume_errors_are_one_line(tmp_path):
    empty = tmp_path / "empty_run"
    empty.mkdir()
    proc = start([f"resume={empty}"], tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "no checkpoints/last.ckpt to resume from" in err and "Traceback" not in err
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"\x00" * 100)
    proc = start([f"resume={bad}"], tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "not a readable checkpoint" in err


def curves(run: Path) -> dict[str, list]:
    """Each curve's distinct (step, value) points (steps logged just before the kill come again, identical)."""
    return {tag: sorted(set(points)) for tag, points in tb_scalars(run).items()}


def kill_once_saved(args: list[str], run: Path, cwd: Path, step: int) -> int:
    """Start a run, SIGKILL it once its last.ckpt reached ``step``; return the step of the last.ckpt left."""
    proc = start(args, cwd)
    last, deadline = run / "checkpoints" / "last.ckpt", time.time() + 300
    while checkpoint_step(last) < step and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return checkpoint_step(last)


def default_run(corpus: Path, run: Path, cache: Path, *extra: str) -> list[str]:
    """A default run (early stopping on, last.ckpt only after validations) of 10 steps per epoch."""
    return [f"data.path={corpus}", "data.valid_size=10", "data.test_size=10", "data.batch_size=10",
            f"hydra.run.dir={run}", f"paths.cache_dir={cache}", "trainer.accelerator=cpu", "trainer.devices=1",
            "trainer.max_epochs=6", "trainer.log_every_n_steps=1", "trainer.enable_progress_bar=false",
            "trainer.num_sanity_val_steps=0", "model.hidden_size=32", "model.embedding_dim=16", "model.dropout=0.3",
            "test_after_fit=false", "logger.samples=0", "decoding.beam_size=1", *extra]


def test_sigkill_of_a_default_run_then_resume_from_its_last_ckpt_continues_the_same_curves(tmp_path):
    corpus = tmp_path / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(120, lo=4, hi=4)), encoding="utf-8")
    full, broken = tmp_path / "full", tmp_path / "broken"
    proc = start(default_run(corpus, full, tmp_path / "cache"), tmp_path)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    killed_at = kill_once_saved(default_run(corpus, broken, tmp_path / "cache"), broken, tmp_path, 10)
    assert killed_at % 10 == 0 and killed_at < 60  # written at the end of an epoch's validation

    proc = start([f"resume={broken}"], tmp_path)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    reference = curves(full)
    assert len(reference["train/loss"]) == 60 and len(reference["val/chrf"]) == 6
    assert curves(broken) == reference
    assert (broken / "checkpoints" / "best.ckpt").is_file()


def test_lm_resumed_from_a_step_checkpoint_at_an_epoch_boundary_validates_that_epoch(tmp_path):
    corpus = tmp_path / "text.txt"
    corpus.write_text((ROOT / "data" / "lm-sample.txt").read_text()[:20000])
    common = ["task=lm", f"data.path={corpus}", "data.batch_size=4", "data.bptt=32", "model.hidden_size=32",
              "model.embedding_dim=16", "model.dropout=0.2", f"paths.cache_dir={tmp_path / 'cache'}",
              "trainer.accelerator=cpu", "trainer.devices=1", "trainer.max_epochs=4", "trainer.log_every_n_steps=1",
              "trainer.enable_progress_bar=false", "trainer.num_sanity_val_steps=0", "test_after_fit=false",
              "logger.samples=0"]
    full, broken = tmp_path / "full", tmp_path / "broken"
    proc = start([*common, f"hydra.run.dir={full}"], tmp_path)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    per_epoch = len(curves(full)["train/loss"]) // 4
    every = [f"callbacks.checkpoint_every_n_steps={per_epoch}"]  # due exactly at each epoch's end
    killed_at = kill_once_saved([*common, *every, f"hydra.run.dir={broken}"], broken, tmp_path, per_epoch)
    assert killed_at % per_epoch == 0

    proc = start([f"resume={broken}"], tmp_path)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    assert curves(broken) == curves(full) and len(curves(full)["val/bpc"]) == 4
    assert (broken / "checkpoints" / "best.ckpt").is_file()
