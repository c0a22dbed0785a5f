"""Config schemas of the language-model task (``data.kind=text``, ``model.kind=lm``), registered with
``seq2seq.config`` when ``seq2seq.tasks`` imports the task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from seq2seq.config import Cell, CellImpl, Nonlinearity, Normalization, OnError, _choices, register_schema
from seq2seq.errors import ConfigError

Whitespace = _choices("Whitespace", "fold keep flatten")


@dataclass
class TextDataConfig:
    kind: str = "text"
    path: str = "???"
    valid_path: Optional[str] = None  # with test_path: explicit split files instead of fractions of path
    test_path: Optional[str] = None
    normalize: Normalization = Normalization.nfc
    lowercase: bool = False
    whitespace: Whitespace = Whitespace.fold  # fold: runs of spaces/tabs → one space, newlines kept
    valid_size: float = 0.05  # < 1: a fraction of the characters; >= 1: a number of characters
    test_size: float = 0.05
    limit: Optional[int] = None  # use only the first N characters
    on_error: OnError = OnError.error  # undecodable (non-UTF-8) lines: stop, or skip and count
    batch_size: int = 32  # streams (batch rows) per rank in training
    eval_batch_size: int = 8  # streams per rank in validation / test / evaluate
    bptt: int = 64  # window length in tokens; the carried state is detached between windows
    bptt_backprop: int = 1  # windows that gradients flow back through (TBPTT k2 = bptt_backprop x bptt)
    num_workers: int = 0
    pin_memory: bool = True
    cache: bool = True


@dataclass
class LMModelConfig:
    kind: str = "lm"
    cell: Cell = Cell.lstm
    embedding_dim: int = 128
    hidden_size: int = 256
    num_layers: int = 2
    dropout: float = 0.2  # embeddings, between layers, top-layer outputs
    tie_weights: bool = False  # output layer = embedding matrix (projected if hidden_size != embedding_dim)
    rnn_nonlinearity: Nonlinearity = Nonlinearity.tanh
    cell_impl: CellImpl = CellImpl.builtin
    recurrent_dropout: float = 0.0
    layer_norm: bool = False


def check_lm_config(data: dict, model: dict) -> None:
    """Value ranges the schemas cannot express; a one-line ``ConfigError`` naming the key."""
    for key in ("batch_size", "eval_batch_size", "bptt", "bptt_backprop"):
        if data[key] < 1:
            raise ConfigError(f"data.{key}={data[key]} must be >= 1")
    for key in ("embedding_dim", "hidden_size", "num_layers"):
        if model[key] < 1:
            raise ConfigError(f"model.{key}={model[key]} must be >= 1")
    for key in ("dropout", "recurrent_dropout"):
        if not 0.0 <= model[key] < 1.0:
            raise ConfigError(f"model.{key}={model[key]} must be in [0, 1)")


register_schema("data", "text", TextDataConfig)
register_schema("model", "lm", LMModelConfig)
