"""``python -m seq2seq.runs [DIR ...] [--sort COLUMN] [--csv]``: a table of training runs, to compare a sweep.

A run is a directory holding the ``config.yaml`` that ``seq2seq.train`` writes. Columns: run dir, task,
command-line overrides, best validation value of the monitored metric, test metrics, steps, wall time and
status (done: metrics.json written; stopped: checkpoints but no metrics.json — killed, failed or still
running; started: nothing saved yet).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import yaml

COLUMNS = ["run", "task", "overrides", "monitor", "best", "test", "steps", "wall_s", "status"]
METRIC_COLUMNS = ("best", "test")  # sorted best first by each run's task.mode
LOWER_IS_BETTER = ("loss", "ppl", "bpc", "mae", "rmse", "smape")


def find_runs(roots: list[Path]) -> list[Path]:
    found = set()
    for root in roots:
        for config in root.rglob("config.yaml"):
            if config.parent.name != ".hydra":
                found.add(config.parent)
    return sorted(found)


def read_file(path: Path, parse, default):
    """``parse(text)`` of ``path`` (``default`` when it does not exist); a damaged file (a truncated
    ``metrics.json``, say) is reported in one warning line and counts as missing, so one bad run does not
    hide the others."""
    if not path.is_file():
        return default
    try:
        value = parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"warning: {path}: unreadable ({reason}); listed without it", file=sys.stderr)
        return default
    return value if isinstance(value, type(default)) else default


def monitor_mode(task: dict) -> str:
    """``min`` or ``max``: the run's ``task.mode``, or, in configs without it, what its monitor implies."""
    if task.get("mode") in ("min", "max"):
        return task["mode"]
    name = str(task.get("monitor", "")).split("/")[-1]
    return "min" if name.startswith(LOWER_IS_BETTER) else "max"


def describe(run: Path) -> dict:
    config = read_file(run / "config.yaml", yaml.safe_load, {})
    task = config.get("task") if isinstance(config.get("task"), dict) else {}
    overrides = read_file(run / ".hydra" / "overrides.yaml", yaml.safe_load, [])
    metrics = read_file(run / "metrics.json", json.loads, {})
    tests = {k.split("/", 1)[1]: v for k, v in metrics.items() if k.startswith("test/")}
    preferred = task.get("monitor", "").split("/")[-1]
    test_value = tests.get(preferred)
    status = "done" if metrics else ("stopped" if list((run / "checkpoints").glob("*.ckpt")) else "started")
    return {
        "run": str(run),
        "task": task.get("name", "?"),
        "overrides": " ".join(overrides or []),
        "monitor": task.get("monitor", ""),
        "best": metrics.get("objective"),
        "test": test_value if test_value is not None else "",
        "steps": metrics.get("global_step", ""),
        "wall_s": metrics.get("wall_time_s", ""),
        "status": status,
        "mode": monitor_mode(task),
    }


def sort_rows(rows: list[dict], column: str, descending: bool) -> list[dict]:
    """Rows by ``column``, largest first when ``descending``; for the metric columns (best, test)
    ``descending`` means best first, which for a ``min`` monitor (loss, bpc, MAE) is the smallest value.
    Rows without a number in ``column`` come last."""
    if column not in COLUMNS:
        raise SystemExit(f"error: --sort {column!r} is not a column; choose one of {', '.join(COLUMNS)}")
    is_number = lambda r: isinstance(r[column], (int, float)) and not isinstance(r[column], bool)
    numeric, other = [r for r in rows if is_number(r)], [r for r in rows if not is_number(r)]
    if not numeric:
        return sorted(rows, key=lambda r: str(r[column]), reverse=descending)

    def key(r: dict) -> float:
        value = float(r[column])
        return -value if column in METRIC_COLUMNS and r["mode"] == "min" else value

    return sorted(numeric, key=key, reverse=descending) + other


def format_table(rows: list[dict]) -> str:
    def cell(v) -> str:
        return f"{v:.2f}" if isinstance(v, float) else str(v if v is not None else "")

    cells = [[cell(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seq2seq.runs", description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", default=["outputs", "multirun"], help="where to look (default: outputs multirun)")
    parser.add_argument("--sort", default="best", help=f"column to sort by ({', '.join(COLUMNS)})")
    parser.add_argument("--ascending", action="store_true",
                        help="reverse the order (default: largest first; for best/test: best first, by task.mode)")
    parser.add_argument("--csv", action="store_true", help="write CSV instead of a table")
    args = parser.parse_args(argv)
    rows = [describe(r) for r in find_runs([Path(d) for d in args.dirs if Path(d).is_dir()])]
    rows = sort_rows(rows, args.sort, not args.ascending)
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    elif rows:
        print(format_table(rows))
    else:
        print(f"no runs under {' '.join(args.dirs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
