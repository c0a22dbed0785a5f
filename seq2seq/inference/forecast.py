"""Forecasting inference: the last ``window`` rows of a series → the next ``horizon`` steps of the targets."""

from __future__ import annotations

import csv
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from seq2seq.data.series.reader import SeriesTable, log_filled, number, read_series_lines
from seq2seq.data.series.windows import Scaler
from seq2seq.errors import DataError
from seq2seq.inference.base import Predictor
from seq2seq.inference.options import check_inputs
from seq2seq.models.forecaster import Forecaster

log = logging.getLogger("seq2seq.forecast")


def build_forecaster(model: dict, series: dict) -> Forecaster:
    return Forecaster(len(series["input_columns"]), series["target_index"], series["horizon"],
                      **{k: v for k, v in model.items() if k != "kind"})


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


class ForecastPredictor(Predictor):
    kind = "forecast"
    decoding_keys = ("batch_size",)

    def __init__(self, model, tokenizers, config, hparams, metrics=None):
        super().__init__(model, tokenizers, config, hparams, metrics)
        self.scaler = Scaler.from_state(self.spec["scaler"])

    @staticmethod
    def build_model(hparams: dict) -> Forecaster:
        return build_forecaster(hparams["model"], hparams["series"])

    @property
    def spec(self) -> dict:
        return self.hparams["series"]

    def describe(self) -> dict:
        s = self.spec
        return {"input_columns": s["input_columns"], "targets": s["targets"], "window": s["window"],
                "horizon": s["horizon"], "time_column": s["time_column"]}

    # -- the Python API ----------------------------------------------------------------------------------
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

    # -- forecasting -------------------------------------------------------------------------------------
    @torch.no_grad()
    def forecast_scaled(self, windows: np.ndarray, batch_size: int) -> np.ndarray:
        """Unscaled input windows (N, W, F) → forecasts in the original units (N, H, T)."""
        x = torch.as_tensor(self.scaler.transform(windows), dtype=torch.float32)
        out = [self.model.forecast(x[i : i + batch_size].to(self.device)).float().cpu().numpy()
               for i in range(0, len(x), batch_size)]
        return self.scaler.inverse(np.concatenate(out), self.spec["target_index"])

    @torch.no_grad()
    def forecast_windows(self, windows, batch_size: int) -> np.ndarray:
        """Forecasts of every window of a ``WindowSet``, in the original units: (N, H, T)."""
        from seq2seq.data.series.datamodule import WindowDataset, collate_windows

        dataset, out = WindowDataset(windows, self.spec), []
        for start in range(0, len(dataset), batch_size):
            batch = collate_windows([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))])
            out.append(self.model.forecast(batch["x"].to(self.device)).float().cpu().numpy())
        return self.scaler.inverse(np.concatenate(out), self.spec["target_index"])

    # -- the CLIs --------------------------------------------------------------------------------------
    @torch.no_grad()
    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """CSV lines (header first) → the next ``horizon`` steps after the last ``window`` rows: one line per
        step, the targets' values comma-separated in ``data.targets`` order. ``show_scores`` is ignored."""
        s = self.spec
        table = log_filled(read_series_lines(lines, "input", s["input_columns"], None, s["on_missing"]), "input")
        if len(table) < s["window"]:
            raise DataError(f"input: {len(table)} data rows; the forecast reads the last {s['window']} "
                            "(the training window), so give at least that many")
        x = torch.as_tensor(self.scaler.transform(table.values[-s["window"] :]), dtype=torch.float32)
        forecast = self.scaler.inverse(self.model.forecast(x[None].to(self.device)).float().cpu().numpy()[0],
                                       s["target_index"])
        return [",".join(number(v) for v in step) for step in forecast]

    def evaluate(self, split: str, input_path: str | None, options: dict, out_dir: Path) -> dict:
        """Metrics of the model and both baselines; writes ``forecasts.csv`` (one row per window and step)."""
        from seq2seq.forecast_metrics import baseline_report, target_scale
        from seq2seq.inference.forecast_eval import eval_windows, write_forecasts

        windows = eval_windows(self.spec, self.config, split, input_path)
        forecast = self.forecast_windows(windows, options["batch_size"])
        s = self.spec
        metrics = baseline_report(forecast, windows.targets, windows.starts, s["window"], s["horizon"],
                                  s["season"], s["targets"], target_scale(s))
        write_forecasts(Path(out_dir) / "forecasts.csv", windows, forecast, s)
        return {**metrics, "examples": len(windows.starts)}


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
