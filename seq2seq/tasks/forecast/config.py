"""Config schemas of the forecasting task (``data.kind=csv_series``, ``model.kind=forecaster``), named
by ``seq2seq.registry``. Relations between data keys are checked by ``check_series_config`` at validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from seq2seq.config import Nonlinearity, choices
from seq2seq.errors import ConfigError
from seq2seq.ranges import ranged, split_size

ScalerKind = choices("ScalerKind", "standard minmax none")
OnMissing = choices("OnMissing", "error ffill")
Head = choices("Head", "direct autoregressive")
ForecastLoss = choices("ForecastLoss", "mse mae huber")


@dataclass
class SeriesDataConfig:
    kind: str = "csv_series"
    path: str = "???"
    time_column: Optional[str] = None  # kept for the forecasts file; never an input
    features: Optional[list[str]] = None  # input columns; null: every column but time_column
    targets: list[str] = field(default_factory=list)  # predicted columns; their past is always an input
    window: int = ranged(96, ge=1)
    horizon: int = ranged(24, ge=1)
    stride: int = ranged(1, ge=1)
    train_size: Optional[float] = split_size(None, positive=True)  # fraction (< 1) or rows; null: all before valid
    valid_size: float = split_size(0.2, positive=True)
    test_size: float = split_size(0.2, positive=True)
    eval_context: bool = True  # valid/test windows may read inputs from rows before their split
    scaler: ScalerKind = ScalerKind.standard
    season: int = ranged(24, ge=1)  # <= window (the seasonal-naive baseline repeats the window's last season)
    on_missing: OnMissing = OnMissing.error
    batch_size: int = ranged(64, ge=1)
    eval_batch_size: int = ranged(256, ge=1)
    num_workers: int = ranged(0, ge=0)
    pin_memory: bool = True


@dataclass
class ForecasterModelConfig:
    kind: str = "forecaster"
    cell: str = "lstm"  # a name in seq2seq.models.cell_types.CELLS (checked by seq2seq.train_config)
    hidden_size: int = ranged(64, ge=1)
    num_layers: int = ranged(1, ge=1)
    dropout: float = ranged(0.0, ge=0, lt=1)
    head: Head = Head.direct
    residual: bool = True
    subtract_last: bool = False
    highway: int = ranged(0, ge=0)  # LSTNet's linear autoregression over the last N window values (0: none)
    loss: ForecastLoss = ForecastLoss.mse
    rnn_nonlinearity: Nonlinearity = Nonlinearity.tanh


def data_rules(cfg: dict) -> None:
    from seq2seq.data.series.datamodule import (
        check_series_config,  # the data package imports this module's package
    )

    check_series_config(cfg["data"])


def model_rules(cfg: dict) -> None:
    model, data = cfg["model"], cfg["data"]
    if model["highway"] and model["head"] != "direct":
        raise ConfigError("model.highway adds a linear forecast to the direct head's; set model.head=direct or "
                          "model.highway=0")
    if data["kind"] == "csv_series" and model["highway"] > data["window"]:
        raise ConfigError(f"model.highway={model['highway']} reads more rows than the window holds "
                          f"(data.window={data['window']}); use model.highway <= {data['window']}")
