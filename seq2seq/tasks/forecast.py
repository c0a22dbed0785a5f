"""LightningModule for window → horizon forecasting of CSV time series (``task.kind=forecast``).

The model works on scaled values; every reported metric is in the original units, next to the naive
(last value) and seasonal-naive (one ``season`` ago) baselines on the same windows. The checkpoint carries
the series spec (columns, window, horizon, season, scaler statistics) as plain hyper-parameters, so
evaluate and predict need nothing but the ``.ckpt``. There are no tokenizers.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import torch

from seq2seq.data.forecast import (
    ForecastDataModule,
    WindowDataset,
    WindowSet,
    collate_windows,
    prepare_series,
)
from seq2seq.data.series import SeriesTable, read_series_file, read_series_lines
from seq2seq.data.windows import SPLITS, Scaler, window_starts
from seq2seq.errors import ConfigError, DataError
from seq2seq.forecast_metrics import baseline_report, naive_forecast, seasonal_naive_forecast, window_targets
from seq2seq.forecast_plot import forecast_figure
from seq2seq.models.forecaster import Forecaster
from seq2seq.tasks import forecast_config  # noqa: F401  (registers the data and model schemas)
from seq2seq.tasks.base import BaseTask

__all__ = ["ForecastDataModule", "ForecastTask"]

log = logging.getLogger(__name__)

SPLIT_OF_STAGE = {"val": "valid", "test": "test"}
MAX_PANELS = 4


class ForecastTask(BaseTask):
    kind = "forecast"

    def __init__(self, model: dict, optim: dict, scheduler: dict, logging: dict, series: dict):
        super().__init__()
        self.save_hyperparameters()
        self.model = Forecaster(len(series["input_columns"]), series["target_index"], series["horizon"],
                                **{k: v for k, v in model.items() if k != "kind"})
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
                                  s["season"], s["targets"])
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

    # -- evaluate / predict CLIs -------------------------------------------------------------------------
    @torch.no_grad()
    def forecast_windows(self, windows: WindowSet, batch_size: int) -> np.ndarray:
        """Forecasts of every window, in the original units: (N, H, T)."""
        dataset, out = WindowDataset(windows, self.spec), []
        for start in range(0, len(dataset), batch_size):
            batch = collate_windows([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))])
            out.append(self.model.forecast(batch["x"].to(self.device)).float().cpu().numpy())
        return self.scaler.inverse(np.concatenate(out), self.spec["target_index"])

    def eval_windows(self, split: str, input_path: str | None) -> WindowSet:
        """The windows of a split of the run's own data (scaled with the checkpoint's statistics), or every
        window of another CSV with the same columns."""
        s = self.spec
        if input_path:
            table = read_series_file(input_path, s["input_columns"], s["time_column"], s["on_missing"])
            _log_filled(table, input_path)
            starts = window_starts((0, len(table)), s["window"], s["horizon"], s["stride"], context=False)
            if len(starts) == 0:
                raise DataError(f"{input_path}: {len(table)} rows, fewer than the {s['window'] + s['horizon']} "
                                "(window + horizon) one forecast window needs")
            return WindowSet.build(table, s, starts)
        if split not in SPLITS:
            raise ConfigError(f"split={split!r} is not one of {list(SPLITS)}")
        if not Path(self.run_config["data"]["path"]).is_file():
            raise DataError(f"{self.run_config['data']['path']}: the training data of this checkpoint is gone; "
                            "pass input=<a CSV with the same columns> to evaluate on another file")
        prepared = prepare_series(self.run_config["data"], scaler_state=s["scaler"])
        if prepared.spec["input_columns"] != s["input_columns"]:
            raise DataError(f"{self.run_config['data']['path']}: columns {prepared.spec['input_columns']} differ "
                            f"from the checkpoint's {s['input_columns']}")
        return prepared.windows[split]

    def evaluate_data(self, split: str, input_path: str | None, options: dict, out_dir: Path) -> dict:
        """Metrics of the model and both baselines; writes ``forecasts.csv`` (one row per window and step)."""
        windows = self.eval_windows(split, input_path)
        forecast = self.forecast_windows(windows, options["batch_size"])
        s = self.spec
        metrics = baseline_report(forecast, windows.targets, windows.starts, s["window"], s["horizon"],
                                  s["season"], s["targets"])
        write_forecasts(out_dir / "forecasts.csv", windows, forecast, s)
        return {**metrics, "examples": len(windows.starts)}

    @torch.no_grad()
    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """CSV lines (header first) → the next ``horizon`` steps after the last ``window`` rows: one line per
        step, the targets' values comma-separated in ``data.targets`` order. ``show_scores`` is ignored."""
        s = self.spec
        table = _log_filled(read_series_lines(lines, "input", s["input_columns"], None, s["on_missing"]), "input")
        if len(table) < s["window"]:
            raise DataError(f"input: {len(table)} data rows; the forecast reads the last {s['window']} "
                            "(the training window), so give at least that many")
        x = torch.as_tensor(self.scaler.transform(table.values[-s["window"] :]), dtype=torch.float32)
        forecast = self.scaler.inverse(self.model.forecast(x[None].to(self.device)).float().cpu().numpy()[0],
                                       s["target_index"])
        return [",".join(_number(v) for v in step) for step in forecast]


def _log_filled(table: SeriesTable, source: str) -> SeriesTable:
    if table.filled:
        log.info("%s: forward-filled %d missing cells (data.on_missing=ffill)", source, table.filled)
    return table


def _number(value: float) -> str:
    return f"{value:.7g}"


def _when(windows: WindowSet, row: int) -> str:
    times = windows.table.times
    return times[row] if times else f"row {row}"


def write_forecasts(path: Path, windows: WindowSet, forecast: np.ndarray, spec: dict) -> None:
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
                    cells += [_number(v) for v in (windows.targets[row, k], forecast[n, step, k],
                                                   naive[n, step, k], seasonal[n, step, k])]
                out.writerow(cells)
