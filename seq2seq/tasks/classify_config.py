"""Schemas of ``data.kind=labeled`` and ``model.kind=classifier``, registered with the config validator on
import (``seq2seq.tasks`` imports the classification task, which imports this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from seq2seq.config import (
    BucketedLoaderConfig,
    Cell,
    Nonlinearity,
    Normalization,
    OnError,
    _choices,
    register_schema,
)
from seq2seq.errors import ConfigError

TableFormat = _choices("TableFormat", "tsv csv")
Pooling = _choices("Pooling", "last mean max attention")


@dataclass
class LabeledDataConfig(BucketedLoaderConfig):
    kind: str = "labeled"
    path: str = "???"
    valid_path: Optional[str] = None
    test_path: Optional[str] = None
    format: TableFormat = TableFormat.tsv
    delimiter: Optional[str] = None
    header: bool = False
    text_col: Union[int, str] = 0
    label_col: Union[int, str] = 1
    label_map: dict[str, str] = field(default_factory=dict)
    normalize: Normalization = Normalization.nfc
    lowercase: bool = False
    max_len: Optional[int] = None
    valid_size: float = 0.1
    test_size: float = 0.1
    stratify: bool = True
    split_seed: int = 1
    limit: Optional[int] = None
    on_error: OnError = OnError.error
    unknown_label: OnError = OnError.error
    batch_size: int = 32


@dataclass
class ClassifierModelConfig:
    kind: str = "classifier"
    cell: Cell = Cell.lstm
    embedding_dim: int = 128
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.0
    rnn_nonlinearity: Nonlinearity = Nonlinearity.tanh
    pooling: Pooling = Pooling.attention
    mlp_hidden: list[int] = field(default_factory=list)
    mlp_dropout: float = 0.0


def check_model_config(model: dict) -> None:
    """Value ranges of ``model`` keys that the schema cannot express; raises a one-line ``ConfigError``."""
    for key in ("dropout", "mlp_dropout"):
        if not 0.0 <= model[key] < 1.0:
            raise ConfigError(f"model.{key}={model[key]} must be in [0, 1)")
    if any(size < 1 for size in model["mlp_hidden"]):
        raise ConfigError(f"model.mlp_hidden={model['mlp_hidden']} must list layer sizes >= 1")


register_schema("data", "labeled", LabeledDataConfig)
register_schema("model", "classifier", ClassifierModelConfig)
