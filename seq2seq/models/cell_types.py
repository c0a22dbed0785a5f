"""The recurrent cells, in one table: a new cell type is one ``register_cell`` call (ARCHITECTURE.md, "Add a
cell"). Everything else reads the table: the config check of ``model.cell``, the layer factory
(``seq2seq.models.rnn.make_rnn``), the reference layers (``seq2seq.models.cells``), the encoder→decoder bridge
(how many tensors the state has), the padded CPU fast path and the ONNX export (the state's names).

This module imports no torch: validating a config reads it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Union

Ref = Union[str, Callable[..., Any]]  # an object, or "package.module:attribute" imported on first use


@dataclass(frozen=True)
class CellType:
    """``step(layer, xp, hp, h, c, suffix) -> (h', c')`` is one time step of the equations for the reference
    layer ``seq2seq.models.cells.ReferenceRNN`` (``xp``/``hp``: the input and recurrent projections, ``gates``
    blocks of H each, in the weights' row order; ``c`` is None for a one-tensor state). ``builtin``:
    PyTorch's fused layer (cuDNN on GPUs), or None when the cell only exists as reference code (then
    ``model.cell_impl=builtin`` runs the reference layer too). ``saturated_gates``: for the padded CPU fast
    path (``seq2seq.models.padded_rnn``), the (gate, sign) pairs that hold the state still at padding;
    empty: that path is not used."""

    name: str
    state: tuple[str, ...]  # the tensors of the recurrent state, each (layers·directions, B, H)
    gates: int  # row blocks of weight_ih / weight_hh
    step: Ref
    builtin: Ref | None = None
    saturated_gates: tuple[tuple[int, float], ...] = ()

    def load(self, attribute: str) -> Any:
        ref = getattr(self, attribute)
        if not isinstance(ref, str):
            return ref
        module, _, name = ref.partition(":")
        return getattr(importlib.import_module(module), name)


CELLS: dict[str, CellType] = {}


def register_cell(cell: CellType) -> None:
    CELLS[cell.name] = cell


def cell_type(name: str) -> CellType:
    if name not in CELLS:
        raise ValueError(f"unknown cell {name!r}; choose one of {', '.join(CELLS)}")
    return CELLS[name]


def cell_of_layer(layer: Any) -> CellType | None:
    """The registered cell of a recurrent layer: a reference layer's ``spec``, or for PyTorch's fused layers
    the cell named by their ``mode`` ("LSTM", "GRU"; "RNN_TANH"/"RNN_RELU": rnn)."""
    spec = getattr(layer, "spec", None)
    if isinstance(spec, CellType):
        return spec
    return CELLS.get(str(getattr(layer, "mode", "")).lower().split("_")[0])


register_cell(CellType("rnn", ("h",), 1, "seq2seq.models.cells:rnn_step", "seq2seq.models.rnn:RNN"))
# i, f, g, o: at padding the input gate shuts and the forget gate opens.
register_cell(CellType("lstm", ("h", "c"), 4, "seq2seq.models.cells:lstm_step", "seq2seq.models.rnn:LSTM",
                       saturated_gates=((0, -1.0), (1, +1.0))))
# r, z, n: at padding the update gate opens (h' = z·h).
register_cell(CellType("gru", ("h",), 3, "seq2seq.models.cells:gru_step", "seq2seq.models.rnn:GRU",
                       saturated_gates=((1, +1.0),)))
