"""Evaluating a forecaster on whole files: the windows of a split (or another CSV) and the forecasts file."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from seq2seq.data.series.reader import log_filled, number, read_series_file
from seq2seq.data.series.windows import SPLITS, window_starts
from seq2seq.errors import ConfigError, DataError
from seq2seq.tasks.forecast.metrics import naive_forecast, seasonal_naive_forecast


def eval_windows(spec: dict, config: dict, split: str, input_path: str | None):
    """The windows of a split of the run's own data (scaled with the checkpoint's statistics), or every
    window of another CSV with the same columns."""
    from seq2seq.data.series.datamodule import WindowSet, prepare_series  # the training data's reader

    s = spec
    if input_path:
        table = read_series_file(input_path, s["input_columns"], s["time_column"], s["on_missing"])
        log_filled(table, input_path)
        starts = window_starts((0, len(table)), s["window"], s["horizon"], s["stride"], context=False)
        if len(starts) == 0:
            raise DataError(f"{input_path}: {len(table)} rows, fewer than the {s['window'] + s['horizon']} "
                            "(window + horizon) one forecast window needs")
        return WindowSet.build(table, s, starts)
    if split not in SPLITS:
        raise ConfigError(f"split={split!r} is not one of {list(SPLITS)}")
    if not Path(config["data"]["path"]).is_file():
        raise DataError(f"{config['data']['path']}: the training data of this checkpoint is gone; "
                        "pass input=<a CSV with the same columns> to evaluate on another file")
    prepared = prepare_series(config["data"], scaler_state=s["scaler"])
    if prepared.spec["input_columns"] != s["input_columns"]:
        raise DataError(f"{config['data']['path']}: columns {prepared.spec['input_columns']} differ "
                        f"from the checkpoint's {s['input_columns']}")
    return prepared.windows[split]


def write_forecasts(path: Path, windows, forecast: np.ndarray, spec: dict) -> None:
    """Columns: window, step (1..H), line (of the target row in the CSV), time (if the data has a time
    column), then per target: actual, forecast, naive and seasonal-naive values."""
    w, h = spec["window"], spec["horizon"]
    naive = naive_forecast(windows.targets, windows.starts, w, h)
    seasonal = seasonal_naive_forecast(windows.targets, windows.starts, w, h, spec["season"])
    times = windows.table.times
    header = ["window", "step", "line", *(["time"] if times else [])]
    for t in spec["targets"]:
        header += [t, f"{t}_forecast", f"{t}_naive", f"{t}_seasonal_naive"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for n, start in enumerate(windows.starts):
            for step in range(h):
                row = int(start) + w + step
                cells = [n, step + 1, windows.table.line_of(row), *([times[row]] if times else [])]
                for k in range(len(spec["targets"])):
                    cells += [number(v) for v in (windows.targets[row, k], forecast[n, step, k],
                                                  naive[n, step, k], seasonal[n, step, k])]
                out.writerow(cells)
