"""Start-up time of the train command against its floor, ``python -c "import torch"``.

Times, in fresh processes and interleaved (so every command sees the same machine load), the median of
``--runs`` of:

- torch:  ``python -c "import torch"``
- help:   ``python -m seq2seq.train --help``
- cfg:    ``python -m seq2seq.train --cfg job``
- error:  ``python -m seq2seq.train model.hidden_size=0`` (a config error: one line, exit 2)

and prints each median with its ratio to ``torch``. None of the three train commands imports Lightning or
torch (tests/unit/test_startup.py).

    python benchmarks/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "torch": ["-c", "import torch"],
    "help": ["-m", "seq2seq.train", "--help"],
    "cfg": ["-m", "seq2seq.train", "--cfg", "job"],
    "error": ["-m", "seq2seq.train", "model.hidden_size=0"],
}


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, args in COMMANDS.items():
            times[name].append(timed(args))
    floor = statistics.median(times["torch"])
    print(f"| command | median of {runs} (s) | / import torch |\n| --- | --- | --- |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {' '.join(COMMANDS[name])} | {median:.2f} | {median / floor:.2f} |")


if __name__ == "__main__":
    main()
