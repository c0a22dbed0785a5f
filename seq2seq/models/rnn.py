"""Recurrent layer factory and helpers for the state tuples ((h,) or (h, c): ``CellType.state``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from seq2seq.models.cell_types import cell_type
from seq2seq.models.cells import ReferenceRNN

State = tuple[torch.Tensor, ...]  # one tensor per name of CellType.state, each (layers, B, H)


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
    """A batch-first recurrent layer stack of the registered cell ``cell`` (``seq2seq.models.cell_types``).
    Dropout acts between layers. A cell without a fused PyTorch layer runs the reference layer."""
    spec = cell_type(cell)
    if options.impl not in CELL_IMPLS:
        raise ValueError(f"unknown cell implementation {options.impl!r}; choose one of {CELL_IMPLS}")
    dropout = dropout if num_layers > 1 else 0.0
    if options.impl == "reference" or spec.builtin is None:
        return Float32ReferenceRNN(spec.name, input_size, hidden_size, num_layers, dropout, bidirectional,
                                   nonlinearity, options.recurrent_dropout, options.layer_norm)
    if options.recurrent_dropout > 0 or options.layer_norm:
        raise ValueError("recurrent_dropout and layer_norm need cell_impl=reference")
    kwargs = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, batch_first=True,
                  dropout=dropout, bidirectional=bidirectional)
    layer_class = spec.load("builtin")
    if issubclass(layer_class, nn.RNN):
        kwargs["nonlinearity"] = nonlinearity
    return layer_class(**kwargs)


def as_state(raw: torch.Tensor | tuple[torch.Tensor, ...]) -> State:
    """PyTorch's layers return a tensor for a one-tensor state (RNN/GRU) and a tuple otherwise (LSTM); we
    always carry a tuple."""
    return tuple(raw) if isinstance(raw, tuple) else (raw,)


def as_raw(state: State):
    """The state as a recurrent layer takes it: the tensor itself when it is one."""
    return state if len(state) > 1 else state[0]
