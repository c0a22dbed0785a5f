"""Cold start of the predict CLI against its floor: importing torch and reading the checkpoint.

Times, in fresh processes and interleaved (so both see the same machine load), the median of ``--runs``:

- floor:   ``python -c "import torch; torch.load(ckpt, weights_only=True)"``
- predict: ``echo hello | python -m seq2seq.predict ckpt_path=<ckpt>``
- load:    ``python -c "import seq2seq; seq2seq.load(ckpt).predict(['hello'])"`` (the Python API)

and prints a Markdown table with the ratios to the floor. Without ``--ckpt`` it first trains a tiny
translation model (``debug=fast`` on the embedded corpus, a few seconds) into a temporary directory.

    python benchmarks/cold_start.py [--ckpt outputs/translation/<run>/checkpoints/best.ckpt] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ckpt", default=None, help="a checkpoint (default: train a tiny translation model first)")
    p.add_argument("--runs", type=int, default=3)
    return p.parse_args(argv)


def tiny_checkpoint(workdir: Path) -> Path:
    run = workdir / "run"
    subprocess.run([sys.executable, "-m", "seq2seq.train", "debug=fast", "trainer.accelerator=cpu",
                    "trainer.devices=1", "test_after_fit=false", "logger=none", "data.limit=400",
                    "data.valid_size=40", "data.test_size=40",
                    f"paths.output_dir={run}", f"paths.cache_dir={workdir / 'cache'}"],
                   check=True, cwd=ROOT, capture_output=True, text=True)
    return run / "checkpoints" / "best.ckpt"


def commands(ckpt: Path) -> dict[str, tuple[list[str], str | None]]:
    """name → (argv, stdin)."""
    return {
        "floor": ([sys.executable, "-c", f"import torch; torch.load({str(ckpt)!r}, weights_only=True)"], None),
        "predict": ([sys.executable, "-m", "seq2seq.predict", f"ckpt_path={ckpt}", "device=cpu"], "hello\n"),
        "load": ([sys.executable, "-c", f"import seq2seq; seq2seq.load({str(ckpt)!r}).predict(['hello'])"], None),
    }


def time_once(argv: list[str], stdin: str | None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, input=stdin, check=True, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(args.ckpt).resolve() if args.ckpt else tiny_checkpoint(Path(tmp))
        cmds = commands(ckpt)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        time_once(*cmds["floor"])  # warm the page cache: every timed run then reads files from memory
        for _ in range(args.runs):
            for name, (cmd, stdin) in cmds.items():
                times[name].append(time_once(cmd, stdin))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"cold start, median of {args.runs} interleaved runs (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}, "
          f"load average {os.getloadavg()[0]:.1f})\n")
    print("| command | seconds | × floor |\n|---|---|---|")
    labels = {"floor": "`python -c \"import torch; torch.load(ckpt)\"`",
              "predict": "`echo hello \\| python -m seq2seq.predict ckpt_path=ckpt`",
              "load": "`python -c \"import seq2seq; seq2seq.load(ckpt).predict(['hello'])\"`"}
    for name, seconds in medians.items():
        print(f"| {labels[name]} | {seconds:.2f} | {seconds / medians['floor']:.2f} |")
    return medians


if __name__ == "__main__":
    main()
