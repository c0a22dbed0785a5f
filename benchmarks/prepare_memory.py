"""Peak memory of `seq2seq.prepare` and of training from its memory-mapped arrays, Tatoeba vs a 30x copy.

Replicates the Tatoeba eng-fra pairs to at least ``--pairs`` lines in a temporary file, prepares both
corpora (``python -m seq2seq.prepare``, char tokenizer), then trains a tiny model for ``--steps`` steps on
each (``data.prepared=<dir>``) and records every process's peak RSS (``wait4`` ru_maxrss, the kernel's
high-water mark) and its RSS sampled over time (``/proc/<pid>/status``). The goal: training on the big
corpus peaks at most 1.5x the small one. Prints a Markdown table and the commands; deletes the temporary
files unless ``--keep``.

    nice python benchmarks/prepare_memory.py [--pairs 5000000] [--steps 300] [--workdir /tmp/s2s-prepare-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from seq2seq.bench.measure import proc_status_mb

ROOT = Path(__file__).resolve().parent.parent
SAMPLED_FIELDS = ("VmRSS", "RssAnon", "RssFile")
DEFAULT_PATH = ROOT.parent / "shared" / "data" / "translation" / "eng-fra" / "fra.txt"
TINY_MODEL = ["model.embedding_dim=32", "model.hidden_size=64", "model.encoder_layers=1", "model.decoder_layers=1"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--path", type=Path, default=DEFAULT_PATH, help="the Tatoeba fra.txt")
    p.add_argument("--pairs", type=int, default=5_000_000, help="replicate it to at least this many lines")
    p.add_argument("--steps", type=int, default=300, help="training steps per run")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/s2s-prepare-memory"))
    p.add_argument("--keep", action="store_true", help="keep the big corpus and the prepared directories")
    return p.parse_args(argv)


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float  # ru_maxrss of the process itself
    sampled_max_mb: dict[str, float] = field(default_factory=dict)  # VmRSS / RssAnon / RssFile


def run_measured(cmd: list[str], log_path: Path) -> Measured:
    """Runs ``cmd`` (OMP_NUM_THREADS=1), sampling its RSS every 0.2 s; its own peak comes from wait4."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with log_path.open("w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        peaks: dict[str, float] = {}
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                for key, mb in proc_status_mb(SAMPLED_FIELDS, proc.pid).items():
                    peaks[key] = max(peaks.get(key, 0.0), mb)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {shlex.join(cmd)}; see {log_path}")
    return Measured(time.perf_counter() - start, usage.ru_maxrss / 1024, peaks)  # ru_maxrss is in KiB on Linux


def replicate(src: Path, dest: Path, pairs: int) -> int:
    """Copies ``src`` until ``dest`` has at least ``pairs`` lines (streamed: one copy in memory at a time)."""
    block = src.read_bytes()
    if not block.endswith(b"\n"):
        block += b"\n"
    per_copy = block.count(b"\n")
    copies = -(-pairs // per_copy)
    with dest.open("wb") as fh:
        for _ in range(copies):
            fh.write(block)
    return copies * per_copy


def commands(corpus: Path, prepared: Path, run_dir: Path, steps: int) -> tuple[list[str], list[str]]:
    data = ["data=tatoeba", f"data.path={corpus}", f"data.prepared={prepared}", "tokenizer=char"]
    prepare = [sys.executable, "-m", "seq2seq.prepare", *data]
    train = [sys.executable, "-m", "seq2seq.train", *data, *TINY_MODEL, f"hydra.run.dir={run_dir}",
             f"trainer.max_steps={steps}", f"trainer.val_check_interval={steps}", "trainer.limit_val_batches=2",
             "trainer.num_sanity_val_steps=0", "trainer.accelerator=cpu", "trainer.devices=1",
             "trainer.enable_progress_bar=false", "callbacks.early_stopping.enabled=false", "test_after_fit=false",
             "logger.tensorboard=false"]
    return prepare, train


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    big = work / "fra-replicated.txt"
    n_big = replicate(args.path, big, args.pairs)
    n_small = sum(1 for line in args.path.open(encoding="utf-8") if line.strip())
    rows, shown = [], []
    try:
        for name, corpus, pairs in (("tatoeba", args.path, n_small), ("replicated", big, n_big)):
            prepared = work / f"prepared-{name}"
            prepare_cmd, train_cmd = commands(corpus, prepared, work / f"run-{name}", args.steps)
            prep = run_measured(prepare_cmd, work / f"prepare-{name}.log")
            train = run_measured(train_cmd, work / f"train-{name}.log")
            manifest = json.loads((prepared / "manifest.json").read_text())
            rows.append({"corpus": name, "pairs": pairs, "train_pairs": manifest["counts"]["train"]["pairs"],
                         "prepare_s": prep.seconds, "prepare_pairs_per_s": pairs / prep.seconds,
                         "prepare_peak_mb": prep.peak_rss_mb, "train_s": train.seconds,
                         "train_peak_mb": train.peak_rss_mb, "train_sampled_mb": train.sampled_max_mb,
                         "prepared_mb": sum(f.stat().st_size for f in prepared.rglob("*") if f.is_file()) / 2**20})
            shown += [shlex.join(["python", *prepare_cmd[1:]]), shlex.join(["python", *train_cmd[1:]])]
    finally:
        if not args.keep:
            big.unlink(missing_ok=True)
            for d in work.glob("prepared-*"):
                shutil.rmtree(d, ignore_errors=True)
    base = rows[0]["train_peak_mb"]
    print(f"| corpus | pairs | prepare | prepare pairs/s | prepare peak RSS | prepared size | train {args.steps} steps "
          "| train peak RSS (max sampled anon / file) | train RSS ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s = r["train_sampled_mb"]
        print(f"| {r['corpus']} | {r['pairs']:,} | {r['prepare_s']:.0f} s | {r['prepare_pairs_per_s']:,.0f} "
              f"| {r['prepare_peak_mb']:.0f} MB | {r['prepared_mb']:,.0f} MB | {r['train_s']:.0f} s "
              f"| {r['train_peak_mb']:.0f} MB ({s.get('RssAnon', 0):.0f} / {s.get('RssFile', 0):.0f} MB) "
              f"| {r['train_peak_mb'] / base:.2f}x |")
    print(f"\n{os.cpu_count()} CPU cores, OMP_NUM_THREADS=1. Commands (from the repository root):\n")
    for c in shown:
        print(f"    {c}")
    print("\nbenchmark: python " + shlex.join([os.path.relpath(__file__, ROOT), *(argv or sys.argv[1:])]))
    return rows


if __name__ == "__main__":
    main()
