"""What both forecasting predictors share (``seq2seq.inference.forecast`` on PyTorch, ``seq2seq.onnx_runtime.
forecast`` on onnxruntime): the result type, reading and checking the input tables, batching the windows.
Imports no torch: the ONNX predictor runs without it."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np

from seq2seq.data.series.reader import SeriesTable, read_series_lines
from seq2seq.errors import DataError
from seq2seq.inference.options import check_inputs


@dataclass
class Forecast:
    """``values[step][k]``: target ``targets[k]`` at ``steps[step]`` (1 = the row after the input), in the
    original units; ``times``: their time stamps, continued from the input's when it has a time column
    with evenly spaced ISO dates, else None."""

    targets: list[str]
    steps: list[int]
    values: list[list[float]]
    times: list[str] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class ForecastIO:
    """The Python API of a forecasting predictor; the backend gives ``hparams``, ``decoding`` and
    ``forecast_scaled(windows (N, W, F), batch_size) -> (N, H, T)``."""

    @property
    def spec(self) -> dict:
        return self.hparams["series"]

    def forecast(self, series, **decoding) -> Forecast:
        """One series: a numpy array (rows × input columns; 1-D for one column), a sequence of rows (lists of
        numbers, or dicts by column name, which may hold the time column), or CSV text with a header."""
        return self.forecast_many([series], **decoding)[0]

    def forecast_many(self, inputs: list, **decoding) -> list[Forecast]:
        """``forecast`` of each series, in one batched model call per ``batch_size`` series."""
        d = self.decoding(decoding)
        check_inputs(inputs, "series (arrays, lists of rows or CSV texts)", (np.ndarray, list, tuple, str))
        tables = [self.table(x, i) for i, x in enumerate(inputs)]
        s = self.spec
        windows = np.stack([t.values[-s["window"] :] for t in tables])
        values = self.forecast_scaled(windows, d["batch_size"])
        steps = list(range(1, s["horizon"] + 1))
        return [Forecast(list(s["targets"]), steps, v.tolist(), future_times(t.times, s["horizon"]))
                for t, v in zip(tables, values)]

    def predict(self, inputs: list, **decoding) -> list[dict]:
        return [f.to_dict() for f in self.forecast_many(inputs, **decoding)]

    def table(self, series, index: int) -> SeriesTable:
        """One input as a table of the checkpoint's input columns, checked (shape, finite, long enough)."""
        s, cols = self.spec, self.spec["input_columns"]
        if isinstance(series, str):
            lines = series.splitlines()
            header = next(csv.reader([next((ln for ln in lines if ln.strip()), "")]), [])
            time_column = s["time_column"] if s["time_column"] in header else None
            table = read_series_lines(lines, f"inputs[{index}]", cols, time_column, s["on_missing"])
        else:
            rows = list(series) if not isinstance(series, np.ndarray) else series
            times = None
            if len(rows) and all(isinstance(r, dict) for r in rows):
                missing = [c for c in cols if c not in rows[0]]
                if missing:
                    raise DataError(f"inputs[{index}]: rows have no column {missing[0]!r}; the model reads {cols}")
                times = [str(r[s["time_column"]]) for r in rows] if s["time_column"] in rows[0] else None
                rows = [[r[c] for c in cols] for r in rows]
            values = self._values(rows, index)
            table = SeriesTable(list(cols), values, times, 1, 0)
        if len(table) < s["window"]:
            raise DataError(f"inputs[{index}]: {len(table)} rows; the forecast reads the last {s['window']} "
                            "(the training window), so give at least that many")
        return table

    def _values(self, rows, index: int) -> np.ndarray:
        cols = self.spec["input_columns"]
        try:
            values = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(f"inputs[{index}]: not a table of numbers (rows of {len(cols)} values: {cols})") from None
        if values.ndim == 1 and len(cols) == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != len(cols):
            raise DataError(f"inputs[{index}]: shape {values.shape}; expected rows × {len(cols)} columns {cols}")
        if not np.isfinite(values).all():
            raise DataError(f"inputs[{index}]: holds NaN or infinite values; fill them in first")
        return values


def future_times(times: list[str] | None, horizon: int) -> list[str] | None:
    """The next ``horizon`` time stamps after ``times``, when its last two are ISO dates; else None."""
    if not times or len(times) < 2:
        return None
    try:
        last, before = datetime.fromisoformat(times[-1]), datetime.fromisoformat(times[-2])
    except ValueError:
        return None
    step = last - before
    if step.total_seconds() <= 0:
        return None
    if len(times[-1]) == 10:  # dates only: 2024-01-31
        return [(last + k * step).date().isoformat() for k in range(1, horizon + 1)]
    sep = " " if " " in times[-1] else "T"
    return [(last + k * step).isoformat(sep=sep) for k in range(1, horizon + 1)]
