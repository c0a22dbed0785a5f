"""The files of a run: one run per directory (a lock a killed run does not leave stuck, not taken by DDP's
added ranks), and atomic writes that turn a full disk into one line naming the file."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import compose_cfg
from tiny_runs import task_overrides

import seq2seq.atomic
from seq2seq.atomic import atomic_write
from seq2seq.errors import RunError
from seq2seq.run_dir import claim_run_dir, release_run_dir
from seq2seq.train import train

HOLD = "import sys, time; from seq2seq.run_dir import claim_run_dir; claim_run_dir(sys.argv[1], False); time.sleep(120)"


def hold(run) -> subprocess.Popen:
    """Another process that has claimed ``run`` (rank 0 of a live run)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run)])
    deadline = time.time() + 60
    while not ((run / ".lock").is_file() and (run / ".lock").read_text() == str(holder.pid)) and time.time() < deadline:
        time.sleep(0.05)
    return holder


def test_a_live_run_keeps_others_out_and_a_killed_one_leaves_no_stuck_lock(pairs, cache_dir, tmp_path):
    run = tmp_path / "run"
    holder = hold(run)
    overrides = task_overrides("translation", pairs, cache_dir, run)
    with pytest.raises(RunError, match=rf"{run}: another run \(pid {holder.pid}\) is writing to this directory"):
        train(compose_cfg("train", overrides))
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert train(compose_cfg("train", overrides))["best_model_path"]  # the kernel released the lock


def test_ddp_added_ranks_share_the_run_directory(tmp_path, monkeypatch):
    run = tmp_path / "run"
    holder = hold(run)
    try:
        for key in ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK"):
            monkeypatch.delenv(key, raising=False)
        with pytest.raises(RunError, match="another run"):
            claim_run_dir(run, resuming=True)  # a process of another run, even resuming
        for env in ({"LOCAL_RANK": "1"}, {"RANK": "1"}, {"NODE_RANK": "1", "LOCAL_RANK": "0"}, {"SLURM_PROCID": "3"}):
            with monkeypatch.context() as m:
                for key, value in env.items():
                    m.setenv(key, value)
                claim_run_dir(run, resuming=False)  # Lightning's, torchrun's and srun's added ranks
                release_run_dir(run)
    finally:
        holder.kill()
        holder.wait()


def full_disk(path):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_is_one_line_naming_the_file_and_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    atomic_write(target, "{}")
    monkeypatch.setattr(seq2seq.atomic, "_fsync", full_disk)
    with pytest.raises(RunError, match=rf"^{target}: .*no space left on the device"):
        atomic_write(target, '{"new": 1}')
    assert target.read_text() == "{}" and sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_checkpoint_on_a_full_disk_is_one_line_not_torchs_unexpected_pos(tmp_path, monkeypatch):
    from seq2seq.checkpoint import AtomicCheckpointIO

    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, mode="r", *a, **k: real_open(
        "/dev/full" if str(f).endswith(".tmp" + str(os.getpid())) else f, mode, *a, **k))
    with pytest.raises(RunError, match=r"last.ckpt: .*no space left on the device"):
        AtomicCheckpointIO().save_checkpoint({"w": torch.zeros(100_000)}, tmp_path / "last.ckpt")
    assert not (tmp_path / "last.ckpt").exists()


def test_a_run_on_a_full_disk_stops_in_one_line_before_training(pairs, cache_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(seq2seq.atomic, "_fsync", full_disk)
    run = tmp_path / "run"
    with pytest.raises(RunError, match=r"config.yaml: .*no space left on the device"):
        train(compose_cfg("train", task_overrides("translation", pairs, cache_dir, run)))
    assert not (run / "config.yaml").exists() and not (run / "checkpoints").exists()


def test_resuming_removes_the_temporaries_a_killed_writer_left(tmp_path, caplog):
    """SIGKILL between ``torch.save`` into ``.last.ckpt.tmp<pid>`` and the rename leaves that temporary;
    the resumed run (which holds the lock, so no live writer owns it) removes it and says so."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    leftovers = [run / "checkpoints" / ".last.ckpt.tmp4242", run / ".metrics.json.tmp77"]
    kept = [run / "checkpoints" / "last.ckpt", run / "checkpoints" / ".tmpnotours", run / "notes.tmp1"]
    for path in leftovers + kept:
        path.write_bytes(b"x")
    caplog.set_level("INFO", logger="seq2seq.run_dir")
    claim_run_dir(run, resuming=True)
    try:
        assert not any(p.exists() for p in leftovers) and all(p.exists() for p in kept)
        assert "removed 2 half-written temporary file(s)" in caplog.text
    finally:
        release_run_dir(run)


def test_a_new_run_never_touches_another_directory_s_temporaries(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / ".config.yaml.tmp99").write_bytes(b"x")
    claim_run_dir(run, resuming=False)  # a fresh run: nothing of ours to clean
    release_run_dir(run)
    assert (run / ".config.yaml.tmp99").exists()
