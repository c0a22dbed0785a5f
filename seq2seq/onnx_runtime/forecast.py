"""Forecasting on onnxruntime: ``seq2seq.inference.forecast.ForecastPredictor``'s interface (forecast,
forecast_many, predict, predict_lines) over the exported whole-model graph."""

from __future__ import annotations

import numpy as np

from seq2seq.data.series.reader import read_series_lines
from seq2seq.data.series.windows import Scaler
from seq2seq.errors import DataError
from seq2seq.inference.forecast_io import Forecast, ForecastIO  # noqa: F401 (Forecast: a public name)
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.session import session


class OnnxForecastPredictor(ForecastIO, OnnxPredictor):
    kind = "forecast"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = session(self.path, manifest["graphs"]["model"], "model")
        self.scaler = Scaler.from_state(self.spec["scaler"])

    def forecast_scaled(self, windows: np.ndarray, batch_size: int) -> np.ndarray:
        """Unscaled windows (N, W, F) → forecasts in the original units (N, H, T)."""
        x = self.scaler.transform(windows).astype(np.float32)
        out = [self.model.run(None, {"x": x[i : i + batch_size]})[0] for i in range(0, len(x), batch_size)]
        return self.scaler.inverse(np.concatenate(out), self.spec["target_index"])

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        s = self.spec
        table = read_series_lines(lines, "input", s["input_columns"], None, s["on_missing"])
        if len(table) < s["window"]:
            raise DataError(f"input: {len(table)} data rows; the forecast reads the last {s['window']} "
                            "(the training window), so give at least that many")
        forecast = self.forecast_scaled(table.values[None, -s["window"] :], 1)[0]
        return [",".join(f"{v:.7g}" for v in step) for step in forecast]

