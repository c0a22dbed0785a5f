"""Forecasting inference: the last ``window`` rows of a series → the next ``horizon`` steps of the targets."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from seq2seq.data.series.reader import log_filled, number, read_series_lines
from seq2seq.data.series.windows import Scaler
from seq2seq.errors import DataError
from seq2seq.inference.base import Predictor
from seq2seq.inference.forecast_io import Forecast, ForecastIO, future_times  # noqa: F401 (public names)
from seq2seq.models.forecaster import Forecaster

log = logging.getLogger("seq2seq.forecast")


def build_forecaster(model: dict, series: dict) -> Forecaster:
    return Forecaster(len(series["input_columns"]), series["target_index"], series["horizon"],
                      **{k: v for k, v in model.items() if k != "kind"})


class ForecastPredictor(ForecastIO, Predictor):
    kind = "forecast"
    decoding_keys = ("batch_size",)

    def __init__(self, model, tokenizers, config, hparams, metrics=None):
        super().__init__(model, tokenizers, config, hparams, metrics)
        self.scaler = Scaler.from_state(self.spec["scaler"])

    @staticmethod
    def build_model(hparams: dict) -> Forecaster:
        return build_forecaster(hparams["model"], hparams["series"])

    def describe(self) -> dict:
        s = self.spec
        return {"input_columns": s["input_columns"], "targets": s["targets"], "window": s["window"],
                "horizon": s["horizon"], "time_column": s["time_column"]}

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
        from seq2seq.inference.forecast_eval import eval_windows, write_forecasts
        from seq2seq.tasks.forecast.metrics import baseline_report, target_scale

        windows = eval_windows(self.spec, self.config, split, input_path)
        forecast = self.forecast_windows(windows, options["batch_size"])
        s = self.spec
        metrics = baseline_report(forecast, windows.targets, windows.starts, s["window"], s["horizon"],
                                  s["season"], s["targets"], target_scale(s))
        write_forecasts(Path(out_dir) / "forecasts.csv", windows, forecast, s)
        return {**metrics, "examples": len(windows.starts)}

