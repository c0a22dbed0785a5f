"""Config schemas of the language-model task (``data.kind=text``, ``model.kind=lm``), named by
``seq2seq.registry``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from seq2seq.config import CellImpl, Nonlinearity, Normalization, OnError, choices
from seq2seq.ranges import check_ranges, ranged, split_size

Whitespace = choices("Whitespace", "fold keep flatten")


@dataclass
class TextDataConfig:
    kind: str = "text"
    path: str = "???"
    valid_path: Optional[str] = None  # with test_path: explicit split files instead of fractions of path
    test_path: Optional[str] = None
    normalize: Normalization = Normalization.nfc
    lowercase: bool = False
    whitespace: Whitespace = Whitespace.fold  # fold: runs of spaces/tabs → one space, newlines kept
    valid_size: float = split_size(0.05, positive=True)  # < 1: a fraction of the characters; >= 1: a number
    test_size: float = split_size(0.05)  # 0: no test split (train, then valid to the end of the text)
    limit: Optional[int] = ranged(None, ge=1)  # use only the first N characters
    on_error: OnError = OnError.error  # undecodable (non-UTF-8) lines: stop, or skip and count
    batch_size: int = ranged(32, ge=1)  # streams (batch rows) per rank in training
    eval_batch_size: int = ranged(8, ge=1)  # streams per rank in validation / test / evaluate
    bptt: int = ranged(64, ge=1)  # window length in tokens; the carried state is detached between windows
    bptt_backprop: int = ranged(1, ge=1)  # windows that gradients flow back through (TBPTT k2 = bptt_backprop x bptt)
    num_workers: int = ranged(0, ge=0)
    pin_memory: bool = True
    cache: bool = True


@dataclass
class LMModelConfig:
    kind: str = "lm"
    cell: str = "lstm"  # a name in seq2seq.models.cell_types.CELLS (checked by seq2seq.train_config)
    embedding_dim: int = ranged(64, ge=1)
    hidden_size: int = ranged(256, ge=1)
    num_layers: int = ranged(1, ge=1)
    dropout: float = ranged(0.1, ge=0, lt=1)  # embeddings, between layers, top-layer outputs
    tie_weights: bool = False  # output layer = embedding matrix (projected if hidden_size != embedding_dim)
    rnn_nonlinearity: Nonlinearity = Nonlinearity.tanh
    cell_impl: CellImpl = CellImpl.builtin
    recurrent_dropout: float = ranged(0.0, ge=0, lt=1)
    layer_norm: bool = False


def check_lm_config(data: dict, model: dict) -> None:
    """The ranges of the ``data`` and ``model`` keys (validation checks them too; kept for checkpoints'
    configs)."""
    check_ranges("data", TextDataConfig, data)
    check_ranges("model", LMModelConfig, model)
