"""Schemas of ``data.kind=labeled`` and ``model.kind=classifier``, named by ``seq2seq.registry``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from seq2seq.config import (
    BucketedLoaderConfig,
    Nonlinearity,
    Normalization,
    OnError,
    choices,
)
from seq2seq.ranges import check_ranges, ranged, split_size

TableFormat = choices("TableFormat", "tsv csv")
Pooling = choices("Pooling", "last mean max attention")
COLUMN = "a column index >= 0 or a column name"


def _is_column(v: Any) -> bool:
    return isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)


@dataclass
class LabeledDataConfig(BucketedLoaderConfig):
    kind: str = "labeled"
    path: str = "???"
    valid_path: Optional[str] = None
    test_path: Optional[str] = None
    format: TableFormat = TableFormat.tsv
    delimiter: Optional[str] = None
    header: bool = False
    text_col: Union[int, str] = ranged(0, test=_is_column, text=COLUMN)
    label_col: Union[int, str] = ranged(1, test=_is_column, text=COLUMN)
    label_map: dict[str, str] = field(default_factory=dict)
    normalize: Normalization = Normalization.nfc
    lowercase: bool = False
    max_len: Optional[int] = ranged(None, ge=1)
    valid_size: float = split_size(0.1)
    test_size: float = split_size(0.1)
    stratify: bool = True
    split_seed: int = 1
    limit: Optional[int] = ranged(None, ge=1)
    on_error: OnError = OnError.error
    unknown_label: OnError = OnError.error
    batch_size: int = ranged(32, ge=1)  # a key declared again keeps its range only if declared with it


@dataclass
class ClassifierModelConfig:
    kind: str = "classifier"
    cell: str = "lstm"  # a name in seq2seq.models.cell_types.CELLS (checked by seq2seq.train_config)
    embedding_dim: int = ranged(64, ge=1)
    hidden_size: int = ranged(64, ge=1)
    num_layers: int = ranged(1, ge=1)
    bidirectional: bool = True
    dropout: float = ranged(0.2, ge=0, lt=1)
    rnn_nonlinearity: Nonlinearity = Nonlinearity.tanh
    pooling: Pooling = Pooling.attention
    mlp_hidden: list[int] = ranged(factory=lambda: [64], each=True, ge=1)  # sizes of hidden layers before the output
    mlp_dropout: float = ranged(0.2, ge=0, lt=1)


def check_model_config(model: dict) -> None:
    """The ranges of the ``model`` keys (validation checks them too; kept for checkpoints' configs)."""
    check_ranges("model", ClassifierModelConfig, model)


def data_rules(cfg: dict) -> None:
    from seq2seq.data.labeled.preparation import (
        check_data_config,  # the data package imports this module's package
    )

    check_data_config(cfg["data"])
