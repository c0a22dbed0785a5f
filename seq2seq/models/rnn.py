"""Recurrent layer factory and helpers for the (h,) / (h, c) state tuples of RNN/GRU vs LSTM."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

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


class Float32Recurrence:
    """Mixin for recurrent modules: under autocast (``trainer.precision=bf16-mixed|16-mixed``) the recurrence
    still runs, and returns, float32. Autocast hard-codes float16 for cuDNN RNNs whatever dtype was asked
    for (with no loss scaling under bf16), runs them in bf16 on the CPU and crashes on CPU fp16; and a
    recurrence compounds rounding error at every step. The projections around it (attention, output
    layer) still take the low precision."""

    def forward(self, input, hx=None):
        device = (input.data if isinstance(input, PackedSequence) else input).device.type
        if not torch.is_autocast_enabled(device):
            return super().forward(input, hx)
        with torch.autocast(device, enabled=False):
            return super().forward(_as_float32(input), _as_float32(hx))


def _as_float32(x):
    if x is None:
        return None
    if isinstance(x, tuple) and not isinstance(x, PackedSequence):
        return tuple(t.float() for t in x)
    return x.float()


class LSTM(Float32Recurrence, nn.LSTM):
    pass


class GRU(Float32Recurrence, nn.GRU):
    pass


class RNN(Float32Recurrence, nn.RNN):
    pass


class Float32ReferenceRNN(Float32Recurrence, ReferenceRNN):
    pass


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float,
             bidirectional: bool = False, nonlinearity: str = "tanh",
             options: CellOptions = CellOptions()) -> nn.Module:
    """A batch-first recurrent layer stack. Dropout acts between layers."""
    if options.impl == "reference":
        return Float32ReferenceRNN(cell, input_size, hidden_size, num_layers, dropout if num_layers > 1 else 0.0,
                            bidirectional, nonlinearity, options.recurrent_dropout, options.layer_norm)
    if options.impl != "builtin":
        raise ValueError(f"unknown cell implementation {options.impl!r}; choose one of {CELL_IMPLS}")
    if options.recurrent_dropout > 0 or options.layer_norm:
        raise ValueError("recurrent_dropout and layer_norm need cell_impl=reference")
    kwargs = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, batch_first=True,
                  dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
    if cell == "lstm":
        return LSTM(**kwargs)
    if cell == "gru":
        return GRU(**kwargs)
    if cell == "rnn":
        return RNN(nonlinearity=nonlinearity, **kwargs)
    raise ValueError(f"unknown cell {cell!r}; choose one of {CELLS}")


def as_state(raw: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> State:
    """PyTorch returns a tensor for RNN/GRU and a pair for LSTM; we always carry a tuple."""
    return tuple(raw) if isinstance(raw, tuple) else (raw,)


def as_raw(state: State):
    return state if len(state) == 2 else state[0]
