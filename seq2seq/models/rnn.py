"""Recurrent layer factory and helpers for the (h,) / (h, c) state tuples of RNN/GRU vs LSTM."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from seq2seq.models.cells import ReferenceRNN

CELLS = ("rnn", "lstm", "gru")

State = tuple[torch.Tensor, ...]  # (h,) for RNN/GRU, (h, c) for LSTM; each (layers, B, H)


CELL_IMPLS = ("builtin", "reference")


@dataclass(frozen=True)
class CellOptions:
    """How recurrent layers are built: PyTorch's fused modules (cuDNN on GPU), or the reference cells
    written from the equations, which also offer variational recurrent dropout and layer norm."""

    impl: str = "builtin"
    recurrent_dropout: float = 0.0
    layer_norm: bool = False


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float,
             bidirectional: bool = False, nonlinearity: str = "tanh",
             options: CellOptions = CellOptions()) -> nn.Module:
    """A batch-first recurrent layer stack. Dropout acts between layers."""
    if options.impl == "reference":
        return ReferenceRNN(cell, input_size, hidden_size, num_layers, dropout if num_layers > 1 else 0.0,
                            bidirectional, nonlinearity, options.recurrent_dropout, options.layer_norm)
    if options.impl != "builtin":
        raise ValueError(f"unknown cell implementation {options.impl!r}; choose one of {CELL_IMPLS}")
    if options.recurrent_dropout > 0 or options.layer_norm:
        raise ValueError("recurrent_dropout and layer_norm need cell_impl=reference")
    kwargs = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, batch_first=True,
                  dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
    if cell == "lstm":
        return nn.LSTM(**kwargs)
    if cell == "gru":
        return nn.GRU(**kwargs)
    if cell == "rnn":
        return nn.RNN(nonlinearity=nonlinearity, **kwargs)
    raise ValueError(f"unknown cell {cell!r}; choose one of {CELLS}")


def as_state(raw: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> State:
    """PyTorch returns a tensor for RNN/GRU and a pair for LSTM; we always carry a tuple."""
    return tuple(raw) if isinstance(raw, tuple) else (raw,)


def as_raw(state: State):
    return state if len(state) == 2 else state[0]
