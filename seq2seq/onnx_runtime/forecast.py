"""Forecasting on onnxruntime: ``seq2seq.inference.forecast.ForecastPredictor``'s interface (forecast,
forecast_many, predict, predict_lines) over the exported whole-model graph."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np

from seq2seq.data.series.reader import SeriesTable, read_series_lines
from seq2seq.data.series.windows import Scaler
from seq2seq.errors import DataError
from seq2seq.inference.options import check_inputs
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.session import session


@dataclass
class Forecast:
    targets: list[str]
    steps: list[int]
    values: list[list[float]]
    times: list[str] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class OnnxForecastPredictor(OnnxPredictor):
    kind = "forecast"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = session(self.path, manifest["graphs"]["model"], "model")
        self.scaler = Scaler.from_state(self.spec["scaler"])

    @property
    def spec(self) -> dict:
        return self.hparams["series"]

    def forecast(self, series, **decoding) -> Forecast:
        return self.forecast_many([series], **decoding)[0]

    def forecast_many(self, inputs: list, **decoding) -> list[Forecast]:
        d = self.decoding(decoding)
        check_inputs(inputs, "series (arrays, lists of rows or CSV texts)", (np.ndarray, list, tuple, str))
        tables = [self.table(x, i) for i, x in enumerate(inputs)]
        s = self.spec
        values = self.forecast_scaled(np.stack([t.values[-s["window"] :] for t in tables]), d["batch_size"])
        steps = list(range(1, s["horizon"] + 1))
        return [Forecast(list(s["targets"]), steps, v.tolist(), future_times(t.times, s["horizon"]))
                for t, v in zip(tables, values)]

    def predict(self, inputs: list, **decoding) -> list[dict]:
        return [f.to_dict() for f in self.forecast_many(inputs, **decoding)]

    def forecast_scaled(self, windows: np.ndarray, batch_size: int) -> np.ndarray:
        """Unscaled windows (N, W, F) → forecasts in the original units (N, H, T)."""
        x = self.scaler.transform(windows).astype(np.float32)
        out = [self.model.run(None, {"x": x[i : i + batch_size]})[0] for i in range(0, len(x), batch_size)]
        return self.scaler.inverse(np.concatenate(out), self.spec["target_index"])

    def table(self, series, index: int) -> SeriesTable:
        """As ``ForecastPredictor.table``: CSV text, rows (lists or dicts by column) or an array, checked."""
        s, cols = self.spec, self.spec["input_columns"]
        if isinstance(series, str):
            lines = series.splitlines()
            header = next(csv.reader([next((ln for ln in lines if ln.strip()), "")]), [])
            time_column = s["time_column"] if s["time_column"] in header else None
            table = read_series_lines(lines, f"inputs[{index}]", cols, time_column, s["on_missing"])
        else:
            rows, times = (list(series) if not isinstance(series, np.ndarray) else series), None
            if len(rows) and all(isinstance(r, dict) for r in rows):
                missing = [c for c in cols if c not in rows[0]]
                if missing:
                    raise DataError(f"inputs[{index}]: rows have no column {missing[0]!r}; the model reads {cols}")
                times = [str(r[s["time_column"]]) for r in rows] if s["time_column"] in rows[0] else None
                rows = [[r[c] for c in cols] for r in rows]
            table = SeriesTable(list(cols), self._values(rows, index), times, 1, 0)
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

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        s = self.spec
        table = read_series_lines(lines, "input", s["input_columns"], None, s["on_missing"])
        if len(table) < s["window"]:
            raise DataError(f"input: {len(table)} data rows; the forecast reads the last {s['window']} "
                            "(the training window), so give at least that many")
        forecast = self.forecast_scaled(table.values[None, -s["window"] :], 1)[0]
        return [",".join(f"{v:.7g}" for v in step) for step in forecast]


def future_times(times: list[str] | None, horizon: int) -> list[str] | None:
    """As ``seq2seq.inference.forecast.future_times``: continue evenly spaced ISO time stamps."""
    if not times or len(times) < 2:
        return None
    try:
        last, before = datetime.fromisoformat(times[-1]), datetime.fromisoformat(times[-2])
    except ValueError:
        return None
    step = last - before
    if step.total_seconds() <= 0:
        return None
    if len(times[-1]) == 10:
        return [(last + k * step).date().isoformat() for k in range(1, horizon + 1)]
    sep = " " if " " in times[-1] else "T"
    return [(last + k * step).isoformat(sep=sep) for k in range(1, horizon + 1)]
