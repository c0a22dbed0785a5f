"""DDP on CPU (gloo): one run directory, same result as one process with the same global batch, and a
simulated two-node start through torchrun."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import make_reversal_pairs

pytestmark = pytest.mark.slow


def common(corpus: Path, cache: Path, batch: int) -> list[str]:
    return [f"data.path={corpus}", "data.valid_size=10", "data.test_size=10", f"data.batch_size={batch}",
            "data.bucket=false", f"paths.cache_dir={cache}", "trainer.accelerator=cpu", "trainer.max_epochs=2",
            "trainer.enable_progress_bar=false", "trainer.num_sanity_val_steps=0", "model.hidden_size=16",
            "model.embedding_dim=8", "model.dropout=0.0", "test_after_fit=false", "logger.samples=0",
            "callbacks.early_stopping.enabled=false"]


def run(args: list[str], cwd: Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = (prefix or [sys.executable, "-m"]) + ["seq2seq.train", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def final_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.tsv"
    # Equal target lengths: per-rank token-mean losses then average to the global token-mean loss.
    path.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(100, lo=4, hi=4)), encoding="utf-8")
    return path


def test_two_process_ddp_matches_one_process_with_the_same_global_batch(tmp_path, corpus):
    single = run([*common(corpus, tmp_path / "cache", 8), f"hydra.run.dir={tmp_path / 'single'}",
                  "trainer.devices=1"], tmp_path)
    assert single.returncode == 0, single.stderr[-3000:]
    work = tmp_path / "ddp_cwd"
    work.mkdir()
    ddp = run([*common(corpus, tmp_path / "cache", 4), "trainer=ddp", "trainer.devices=2"], work)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    runs = [p for p in (work / "outputs" / "translation").iterdir()]
    assert len(runs) == 1, runs  # one run directory, not one per rank
    run_dir = runs[0]
    writers = {p.name.split(".")[4] for p in (run_dir / "tensorboard").glob("events*")}
    assert (run_dir / "config.yaml").is_file() and len(writers) == 1  # only rank 0 (one pid) writes events
    a, b = final_weights(tmp_path / "single"), final_weights(run_dir)
    worst = max(float((a[k] - b[k]).abs().max()) for k in a)
    assert worst < 1e-4, f"DDP weights differ from the single-process run by {worst}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_simulated_two_node_run_through_torchrun(tmp_path, corpus):
    port, run_dir = free_port(), tmp_path / "two_nodes"
    args = [*common(corpus, tmp_path / "cache", 4), "trainer=ddp", "trainer.devices=1", "trainer.num_nodes=2",
            f"hydra.run.dir={run_dir}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc-per-node=1",
                               f"--node-rank={rank}", "--master-addr=127.0.0.1", f"--master-port={port}",
                               "-m", "seq2seq.train", *args], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for rank in (0, 1)]
    for proc in procs:
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-3000:]
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    # 80 training pairs, 4 per rank and step, 2 ranks: 10 steps per epoch, 2 epochs
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 20
