"""Variable-length LSTM/GRU layers on the CPU as one fused call per layer over the padded batch.

On the CPU PyTorch runs a *packed* LSTM/GRU through a per-step path whose backward zero-fills and adds a
full-size gradient at every step, quadratic in the source length (``benchmarks/packed_encoder_cpu.py``:
431 ms against 198 ms for one batch of the bench's encoder). Here each layer gets one extra input feature,
1 at padding, whose weights saturate the gates there (LSTM: input gate 0 and forget gate 1; GRU: update
gate 1). Through padding the cell state (GRU: the state) then passes unchanged in float32 and every
gradient through a padded step is exactly 0, so outputs, final states and gradients equal the packed
ones (``tests/unit/models/test_padded_rnn.py``). Padding sits at the end of each row: the reverse direction meets it
first, from its zero state, and stays there; the forward direction's final ``h`` is read at the last real
position (an LSTM's ``h = o·tanh(c)`` still moves at padding, its ``c`` does not).

On CUDA cuDNN handles variable lengths natively, so the packed call stays there.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seq2seq.models.cell_types import CellType, cell_of_layer

SATURATION = 1e4  # sigmoid(±1e4) is exactly 1/0 in float32, and its derivative exactly 0


def fused_padded_supported(rnn: nn.Module, x: torch.Tensor) -> bool:
    """Whether ``forward_padded`` applies: PyTorch's own layer (not the reference cells) of a cell that
    declares the gates saturating at padding (``CellType.saturated_gates``: LSTM, GRU), on the CPU."""
    cell = cell_of_layer(rnn) if isinstance(rnn, nn.RNNBase) else None
    return x.device.type == "cpu" and cell is not None and bool(cell.saturated_gates) and rnn.bias \
        and rnn.batch_first and getattr(rnn, "proj_size", 0) == 0


def forward_padded(rnn: nn.LSTM | nn.GRU, x: torch.Tensor, lengths: torch.Tensor):
    """x (B, S, D) padded at the end, lengths (B,) → output (B, S, H·dirs) with zeros at padding, and the
    final state as ``rnn(pack_padded_sequence(x, lengths))`` returns it. Always float32 (as rnn.py's
    ``Float32Recurrence``)."""
    if torch.is_autocast_enabled(x.device.type):
        with torch.autocast(x.device.type, enabled=False):
            return _forward_padded(rnn, x.float(), lengths)
    return _forward_padded(rnn, x, lengths)


def _forward_padded(rnn: nn.LSTM | nn.GRU, x: torch.Tensor, lengths: torch.Tensor):
    cell = cell_of_layer(rnn)
    is_lstm = len(cell.state) == 2  # the fused op takes and returns (h, c)
    op = getattr(torch, cell.name)  # PyTorch's fused op of the cell: torch.lstm, torch.gru
    b, s, hidden = x.size(0), x.size(1), rnn.hidden_size
    dirs = 2 if rnn.bidirectional else 1
    pad = torch.arange(s, device=x.device).unsqueeze(0) >= lengths.to(x.device).unsqueeze(1)  # (B, S)
    pad_feature = pad.unsqueeze(-1).to(x.dtype)
    column = _saturating_column(cell, hidden, x)
    last = (torch.arange(b, device=x.device), lengths.to(x.device) - 1)
    hs, cs = [], []
    for layer in range(rnn.num_layers):
        if layer > 0 and rnn.dropout > 0:
            x = F.dropout(x, rnn.dropout, rnn.training)
        params = []
        for suffix in [f"_l{layer}", f"_l{layer}_reverse"][:dirs]:
            params += [torch.cat([getattr(rnn, "weight_ih" + suffix), column], dim=1), getattr(rnn, "weight_hh" + suffix),
                       getattr(rnn, "bias_ih" + suffix), getattr(rnn, "bias_hh" + suffix)]
        zeros = x.new_zeros(dirs, b, hidden)
        inputs = torch.cat([x, pad_feature], dim=-1)
        if is_lstm:
            out, h, c = op(inputs, (zeros, zeros), params, True, 1, 0.0, rnn.training, dirs == 2, True)
            cs.append(c)
        else:
            out, h = op(inputs, zeros, params, True, 1, 0.0, rnn.training, dirs == 2, True)
        x = out.masked_fill(pad.unsqueeze(-1), 0.0)
        forward_h = x[last][:, :hidden].unsqueeze(0)  # the forward direction's state at the last real token
        hs.append(torch.cat([forward_h, h[1:]]) if dirs == 2 else forward_h)
    h_n = torch.cat(hs)
    return x, ((h_n, torch.cat(cs)) if is_lstm else h_n)


def _saturating_column(cell: CellType, hidden: int, like: torch.Tensor) -> torch.Tensor:
    """The extra input column of weight_ih: ±SATURATION on the gates that must hold the state at padding."""
    column = like.new_zeros(cell.gates * hidden, 1)
    for gate, sign in cell.saturated_gates:
        column[gate * hidden : (gate + 1) * hidden] = sign * SATURATION
    return column
