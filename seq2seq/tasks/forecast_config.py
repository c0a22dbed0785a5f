"""Config schemas of the forecasting task (``data.kind=csv_series``, ``model.kind=forecaster``), registered
with ``seq2seq.config`` on import. Relations between data keys are checked by ``check_series_config``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from seq2seq.config import Cell, Nonlinearity, _choices, register_schema

ScalerKind = _choices("ScalerKind", "standard minmax none")
OnMissing = _choices("OnMissing", "error ffill")
Head = _choices("Head", "direct autoregressive")
ForecastLoss = _choices("ForecastLoss", "mse mae huber")


@dataclass
class SeriesDataConfig:
    kind: str = "csv_series"
    path: str = "???"
    time_column: Optional[str] = None  # kept for the forecasts file; never an input
    features: Optional[list[str]] = None  # input columns; null: every column but time_column
    targets: list[str] = field(default_factory=list)  # predicted columns; their past is always an input
    window: int = 96
    horizon: int = 24
    stride: int = 1
    train_size: Optional[float] = None  # fraction (< 1) or rows (>= 1); null: all rows before valid
    valid_size: float = 0.2
    test_size: float = 0.2
    eval_context: bool = True  # valid/test windows may read inputs from rows before their split
    scaler: ScalerKind = ScalerKind.standard
    season: int = 24
    on_missing: OnMissing = OnMissing.error
    batch_size: int = 64
    eval_batch_size: int = 256
    num_workers: int = 0
    pin_memory: bool = True


@dataclass
class ForecasterModelConfig:
    kind: str = "forecaster"
    cell: Cell = Cell.lstm
    hidden_size: int = 64
    num_layers: int = 1
    dropout: float = 0.0
    head: Head = Head.direct
    residual: bool = True
    subtract_last: bool = False
    loss: ForecastLoss = ForecastLoss.mse
    rnn_nonlinearity: Nonlinearity = Nonlinearity.tanh


register_schema("data", "csv_series", SeriesDataConfig)
register_schema("model", "forecaster", ForecasterModelConfig)

