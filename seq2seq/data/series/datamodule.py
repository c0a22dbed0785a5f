"""Forecast windows from a CSV series: read → split in time order → fit the scaler on training rows →
windows per split; and the LightningDataModule that batches them.

``series_spec`` is everything a trained model needs to read new data the same way (column names, target
positions, window, horizon, season, the scaler statistics), as plain values for the checkpoint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seq2seq.data.base import BatchedDataModule
from seq2seq.data.series.reader import SeriesTable, read_series_file
from seq2seq.data.series.windows import SPLITS, Scaler, split_bounds, window_indices, window_starts
from seq2seq.errors import ConfigError, DataError

log = logging.getLogger(__name__)


def check_series_config(data: dict) -> None:
    """Relations between data keys, checked before the file is read."""
    if not data["targets"]:
        raise ConfigError("data.targets must name at least one column to forecast, e.g. data.targets=[OT]")
    for key in ("window", "horizon", "stride", "season", "batch_size", "eval_batch_size"):
        if data[key] < 1:
            raise ConfigError(f"data.{key}={data[key]} must be >= 1")
    if data["season"] > data["window"]:
        raise ConfigError(f"data.season={data['season']} must be <= data.window={data['window']}: the "
                          "seasonal-naive baseline repeats the window's last season")
    for group in ("features", "targets"):
        names = data[group] or []
        if len(set(names)) != len(names):
            raise ConfigError(f"data.{group} lists a column twice: {names}")
        if data["time_column"] and data["time_column"] in names:
            raise ConfigError(f"data.time_column={data['time_column']!r} cannot also be in data.{group}")


def input_columns(features: list[str] | None, targets: list[str]) -> list[str] | None:
    """The features, then any target not among them (None: every column but the time column)."""
    return None if features is None else [*features, *(t for t in targets if t not in features)]


@dataclass
class WindowSet:
    """Windows over one table: ``scaled`` (R, F) float32 scaled inputs of every row, ``starts`` (N,) the
    first input row of each window, ``targets`` (R, T) the unscaled target columns."""

    table: SeriesTable
    scaled: torch.Tensor
    starts: np.ndarray
    targets: np.ndarray

    @classmethod
    def build(cls, table: SeriesTable, spec: dict, starts: np.ndarray) -> WindowSet:
        scaled = Scaler.from_state(spec["scaler"]).transform(table.values)
        return cls(table, torch.as_tensor(scaled, dtype=torch.float32), starts,
                   table.values[:, spec["target_index"]])


@dataclass
class PreparedSeries:
    spec: dict
    bounds: dict[str, tuple[int, int]]
    windows: dict[str, WindowSet]


def series_spec(data: dict, columns: list[str], scaler: Scaler) -> dict:
    keys = ("window", "horizon", "stride", "season", "time_column", "on_missing")
    return {"input_columns": list(columns), "targets": list(data["targets"]),
            "target_index": [columns.index(t) for t in data["targets"]], **{k: data[k] for k in keys},
            "scaler": scaler.state()}


def read_table(data: dict, path: str, columns: list[str] | None) -> SeriesTable:
    table = read_series_file(path, columns, data["time_column"], data["on_missing"])
    missing = [t for t in data["targets"] if t not in table.columns]
    if missing:
        raise DataError(f"{path}:{table.first_line - 1}: no column {missing[0]!r} in the header (columns: "
                        f"{', '.join(table.columns)}); fix data.targets")
    if table.filled:
        log.info("%s: forward-filled %d missing cells (data.on_missing=ffill)", path, table.filled)
    return table


def prepare_series(data: dict, scaler_state: dict | None = None) -> PreparedSeries:
    """Read, split and window ``data.path``. The scaler is fitted on the training rows, unless
    ``scaler_state`` (from a checkpoint) is given."""
    check_series_config(data)
    table = read_table(data, data["path"], input_columns(data["features"], data["targets"]))
    bounds = split_bounds(len(table), data["train_size"], data["valid_size"], data["test_size"])
    train_rows = table.values[bounds["train"][0] : bounds["train"][1]]
    scaler = Scaler.from_state(scaler_state) if scaler_state else Scaler.fit(data["scaler"], train_rows)
    spec = series_spec(data, table.columns, scaler)
    every_row = WindowSet.build(table, spec, np.zeros(0, dtype=np.int64))
    windows = {}
    for name in SPLITS:
        context = data["eval_context"] and name != "train"
        starts = window_starts(bounds[name], data["window"], data["horizon"], data["stride"], context)
        if len(starts) == 0:
            a, b = bounds[name]
            raise ConfigError(f"the {name} split (rows {a}-{b - 1}) has no room for a window of "
                              f"{data['window']}+{data['horizon']} rows; enlarge it or lower data.window/horizon")
        windows[name] = replace(every_row, starts=starts)
    unused = len(table) - bounds["test"][1]
    log.info("%s: %d rows x %d input columns %s; rows train %s valid %s test %s (%d unused after test); "
             "windows train %d valid %d test %d", data["path"], len(table), len(table.columns), table.columns,
             bounds["train"], bounds["valid"], bounds["test"], unused, *(len(windows[s].starts) for s in SPLITS))
    return PreparedSeries(spec, bounds, windows)


class WindowDataset(Dataset):
    """Items are (index, x (W, F), y (H, T)) for the windows of one WindowSet."""

    def __init__(self, windows: WindowSet, spec: dict):
        self.scaled = windows.scaled
        inputs, targets = window_indices(windows.starts, spec["window"], spec["horizon"])
        self.inputs, self.targets = torch.as_tensor(inputs), torch.as_tensor(targets)
        self.target_index = torch.as_tensor(spec["target_index"])

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, i: int):
        return i, self.scaled[self.inputs[i]], self.scaled[self.targets[i]][:, self.target_index]


def collate_windows(items: list) -> dict[str, torch.Tensor]:
    """``index`` (B,), ``x`` (B, W, F), ``y`` (B, H, T)."""
    index, xs, ys = zip(*items)
    return {"index": torch.tensor(index, dtype=torch.long), "x": torch.stack(xs), "y": torch.stack(ys)}


class ForecastDataModule(BatchedDataModule):
    def __init__(self, data: dict, tokenizer: dict | None = None, cache_dir: str | None = None, seed: int = 0):
        super().__init__()
        check_series_config(data)
        self.data_cfg, self.seed = data, seed
        self.prepared: PreparedSeries | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.prepared is None:  # idempotent: train() calls it before building the model
            self.prepared = prepare_series(self.data_cfg)

    @property
    def spec(self) -> dict:
        return self.prepared.spec

    def windows(self, name: str) -> WindowSet:
        return self.prepared.windows[name]

    def _loader(self, name: str, train: bool) -> DataLoader:
        d, dataset = self.data_cfg, WindowDataset(self.windows(name), self.spec)
        return self.batch_loader(dataset, np.full(len(dataset), d["window"]), train=train, collate_fn=collate_windows,
                                 batch_size=d["batch_size" if train else "eval_batch_size"], data=d, bucket=False)

