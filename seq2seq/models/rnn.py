"""Recurrent layer factory and helpers for the (h,) / (h, c) state tuples of RNN/GRU vs LSTM."""

from __future__ import annotations

import torch
from torch import nn

CELLS = ("rnn", "lstm", "gru")

State = tuple[torch.Tensor, ...]  # (h,) for RNN/GRU, (h, c) for LSTM; each (layers, B, H)


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float,
             bidirectional: bool = False, nonlinearity: str = "tanh") -> nn.RNNBase:
    """A batch-first ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (cuDNN on GPU). Dropout acts between layers."""
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
