"""LightningModule for window → horizon forecasting of CSV time series (``task.kind=forecast``).

The model works on scaled values; every reported metric is in the original units, next to the naive
(last value) and seasonal-naive (one ``season`` ago) baselines on the same windows. The checkpoint carries
the series spec (columns, window, horizon, season, scaler statistics) as plain hyper-parameters, so
evaluate and predict need nothing but the ``.ckpt``. There are no tokenizers.
"""

from __future__ import annotations

import numpy as np
import torch

from seq2seq.data.series.datamodule import ForecastDataModule, WindowSet
from seq2seq.data.series.windows import Scaler
from seq2seq.inference.forecast import ForecastPredictor, build_forecaster
from seq2seq.inference.forecast_eval import write_forecasts
from seq2seq.tasks.base import BaseTask
from seq2seq.tasks.forecast.metrics import (
    baseline_report,
    naive_forecast,
    seasonal_naive_forecast,
    target_scale,
    window_targets,
)
from seq2seq.tasks.forecast.plot import forecast_figure

__all__ = ["ForecastDataModule", "ForecastTask", "write_forecasts"]

SPLIT_OF_STAGE = {"val": "valid", "test": "test"}
MAX_PANELS = 4


class ForecastTask(BaseTask):
    kind = "forecast"
    predictor_class = ForecastPredictor
    val_metrics = ("loss", *(f"{m}{s}" for s in ("", "_naive", "_seasonal_naive")
                             for m in ("mae", "rmse", "smape", "mse_z", "mae_z")))
    val_metric_prefixes = ("mae_",)  # per target column

    def __init__(self, model: dict, optim: dict, scheduler: dict, logging: dict, series: dict):
        super().__init__()
        self.save_hyperparameters()
        self.model = build_forecaster(model, series)
        self.scaler = Scaler.from_state(series["scaler"])
        self._eval: dict = {}

    @classmethod
    def from_config(cls, cfg: dict, datamodule: ForecastDataModule) -> ForecastTask:
        task = cls(cfg["model"], cfg["optim"], cfg["scheduler"], cfg["logger"], datamodule.spec)
        task.attach({}, cfg)
        return task

    @property
    def spec(self) -> dict:
        return self.hparams.series

    # -- training --------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor | None:
        loss = self.model.loss(self.model(batch["x"], batch["y"]), batch["y"])
        if self.guard_loss(loss) is None:
            return None
        self.log("train/loss", loss, prog_bar=True)
        return loss

    # -- validation and test ---------------------------------------------------------------------------
    def start_eval(self, stage: str) -> None:
        self._eval = {"parts": [], "loss": torch.zeros((), device=self.device),
                      "values": torch.zeros((), device=self.device)}

    def eval_step(self, stage: str, batch: dict) -> None:
        forecast = self.model.forecast(batch["x"])  # free-running: what evaluate and predict will do
        self._eval["loss"] += self.model.loss(forecast, batch["y"], reduction="sum")
        self._eval["values"] += batch["y"].numel()
        self._eval["parts"].append((batch["index"].cpu().numpy(), forecast.float().cpu().numpy()))

    def finish_eval(self, stage: str) -> None:
        # Every rank's (window index, forecast); DDP pads the last batches by repeating windows, so keep
        # one forecast per window, in time order.
        parts = [p for rank in self.gather_objects(self._eval["parts"]) for p in rank]
        index, first = np.unique(np.concatenate([i for i, _ in parts]), return_index=True)
        scaled = np.concatenate([f for _, f in parts])[first]
        windows = self.trainer.datamodule.windows(SPLIT_OF_STAGE[stage])
        forecast = self.scaler.inverse(scaled, self.spec["target_index"])
        s = self.spec
        metrics = baseline_report(forecast, windows.targets, windows.starts[index], s["window"], s["horizon"],
                                  s["season"], s["targets"], target_scale(s))
        loss = self.reduce_sum(self._eval["loss"]) / self.reduce_sum(self._eval["values"]).clamp(min=1)
        self.log_dict({f"{stage}/loss": loss, **{f"{stage}/{k}": v for k, v in metrics.items()}},
                      prog_bar=stage == "val", sync_dist=False)
        self._log_figure(stage, windows, index, forecast)

    def _log_figure(self, stage: str, windows: WindowSet, index: np.ndarray, forecast: np.ndarray) -> None:
        writer, n = self.tensorboard, min(self.hparams.logging["samples"], MAX_PANELS)
        if writer is None or n <= 0:
            return
        s, picks = self.spec, np.unique(np.linspace(0, len(index) - 1, n).round().astype(int))
        starts = windows.starts[index[picks]]
        naive = naive_forecast(windows.targets, starts, s["window"], s["horizon"])
        seasonal = seasonal_naive_forecast(windows.targets, starts, s["window"], s["horizon"], s["season"])
        truth = window_targets(windows.targets, starts, s["window"], s["horizon"])
        panels = [{"history": windows.targets[start : start + s["window"], 0], "truth": truth[k, :, 0],
                   "forecast": forecast[p, :, 0], "naive": naive[k, :, 0], "seasonal_naive": seasonal[k, :, 0],
                   "label": f"window {index[p]}: forecast from {_when(windows, start + s['window'])}"}
                  for k, (p, start) in enumerate(zip(picks, starts))]
        fig = forecast_figure(panels, s["targets"][0], f"{stage} step {self.global_step}")
        writer.add_figure(f"{stage}/forecast", fig, self.global_step)


def _when(windows: WindowSet, row: int) -> str:
    times = windows.table.times
    return times[row] if times else f"row {row}"
