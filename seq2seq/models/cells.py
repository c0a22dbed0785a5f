"""Recurrent layers written out from their equations (``model.cell_impl=reference``).

Same parameter names and layouts as ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (``weight_ih_l0``, gate order i,f,g,o
for LSTM and r,z,n for GRU), so weights load either way and outputs match the built-in modules. They add
what the built-ins lack: variational recurrent dropout (one mask per sequence on the recurrent state,
as Keras' ``recurrent_dropout``) and layer-normalised LSTM gates.

    RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)
    LSTM  i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh);  c' = f⊙c + i⊙g;  h' = o⊙tanh(c')
    GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr);  z = σ(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn));  h' = (1 − z)⊙n + z⊙h
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from seq2seq.models.cell_types import cell_type


class ReferenceRNN(nn.Module):
    """Drop-in for a batch-first ``nn.RNN``/``nn.LSTM``/``nn.GRU``: accepts a padded tensor or a
    PackedSequence and returns the same kinds of outputs and final states."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
                 bidirectional: bool = False, nonlinearity: str = "tanh", recurrent_dropout: float = 0.0,
                 layer_norm: bool = False):
        super().__init__()
        self.spec = cell_type(cell)
        if layer_norm and cell != "lstm":
            raise ValueError("layer_norm is implemented for the LSTM cell only")
        self.cell, self.hidden_size, self.num_layers = cell, hidden_size, num_layers
        self.dropout, self.recurrent_dropout = dropout, recurrent_dropout
        self.directions = 2 if bidirectional else 1
        self.act = torch.tanh if nonlinearity == "tanh" else torch.relu
        self.layer_norm = layer_norm
        self.step = self.spec.load("step")
        self.has_c = len(self.spec.state) == 2  # (h, c); else (h,)
        gates = self.spec.gates * hidden_size
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes(layer):
                self.register_parameter(f"weight_ih{suffix}", nn.Parameter(torch.empty(gates, in_size)))
                self.register_parameter(f"weight_hh{suffix}", nn.Parameter(torch.empty(gates, hidden_size)))
                self.register_parameter(f"bias_ih{suffix}", nn.Parameter(torch.empty(gates)))
                self.register_parameter(f"bias_hh{suffix}", nn.Parameter(torch.empty(gates)))
                if layer_norm:
                    self.add_module(f"ln_ih{suffix}", nn.LayerNorm(gates))
                    self.add_module(f"ln_hh{suffix}", nn.LayerNorm(gates))
                    self.add_module(f"ln_c{suffix}", nn.LayerNorm(hidden_size))
        bound = 1.0 / math.sqrt(hidden_size)  # PyTorch's initialisation
        for name, p in self.named_parameters():
            if name.startswith(("weight_", "bias_")):
                nn.init.uniform_(p, -bound, bound)

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.directions]

    def forward(self, inputs, hx=None):
        packed = isinstance(inputs, PackedSequence)
        if packed:
            x, lengths = pad_packed_sequence(inputs, batch_first=True)  # back in the caller's row order
        else:
            x, lengths = inputs, torch.full((inputs.size(0),), inputs.size(1), dtype=torch.long)
        b, t = x.size(0), x.size(1)
        valid = (torch.arange(t).unsqueeze(0) < lengths.unsqueeze(1)).to(x.device)  # (B, T)
        h0, c0 = self._initial(hx, b, x)
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(self._suffixes(layer)):
                k = layer * self.directions + d
                out, h, c = self._run(x, valid, suffix, h0[k], c0[k] if c0 is not None else None, reverse=d == 1)
                outs.append(out)
                finals_h.append(h)
                finals_c.append(c)
            x = torch.cat(outs, dim=-1) if self.directions == 2 else outs[0]
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = nn.functional.dropout(x, self.dropout, training=True)
        x = x * valid.unsqueeze(-1)
        h_n = torch.stack(finals_h)
        state = (h_n, torch.stack(finals_c)) if self.has_c else h_n
        if packed:
            x = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        return x, state

    def _initial(self, hx, b: int, x: torch.Tensor):
        shape = (self.num_layers * self.directions, b, self.hidden_size)
        if hx is None:
            zeros = x.new_zeros(shape)
            return zeros, (zeros if self.has_c else None)
        return (hx[0], hx[1]) if self.has_c else (hx, None)

    def _run(self, x, valid, suffix, h, c, reverse: bool):
        """One direction of one layer over (B, T, ·). Padded steps leave the state unchanged."""
        w_ih, w_hh = getattr(self, f"weight_ih{suffix}"), getattr(self, f"weight_hh{suffix}")
        b_ih, b_hh = getattr(self, f"bias_ih{suffix}"), getattr(self, f"bias_hh{suffix}")
        x_proj = nn.functional.linear(x, w_ih, b_ih)  # all input projections in one matmul
        if self.layer_norm:
            x_proj = getattr(self, f"ln_ih{suffix}")(x_proj)
        mask = None
        if self.training and self.recurrent_dropout > 0:  # one mask per sequence, reused at every step
            keep = 1.0 - self.recurrent_dropout
            mask = torch.bernoulli(h.new_full(h.shape, keep)) / keep
        steps = range(x.size(1) - 1, -1, -1) if reverse else range(x.size(1))
        out = [None] * x.size(1)
        for t in steps:
            h_in = h * mask if mask is not None else h
            h_proj = nn.functional.linear(h_in, w_hh, b_hh)
            if self.layer_norm:
                h_proj = getattr(self, f"ln_hh{suffix}")(h_proj)
            new_h, new_c = self.step(self, x_proj[:, t], h_proj, h, c, suffix)
            keep_t = valid[:, t].unsqueeze(1)
            h = torch.where(keep_t, new_h, h)
            if c is not None:
                c = torch.where(keep_t, new_c, c)
            out[t] = h
        return torch.stack(out, dim=1), h, c


# One time step of each registered cell (seq2seq.models.cell_types): (layer, xp, hp, h, c, suffix) -> (h', c').

def rnn_step(layer: ReferenceRNN, xp, hp, h, c, suffix):
    return layer.act(xp + hp), None


def lstm_step(layer: ReferenceRNN, xp, hp, h, c, suffix):
    i, f, g, o = (xp + hp).chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    c_out = getattr(layer, f"ln_c{suffix}")(c) if layer.layer_norm else c
    return torch.sigmoid(o) * torch.tanh(c_out), c


def gru_step(layer: ReferenceRNN, xp, hp, h, c, suffix):
    xr, xz, xn = xp.chunk(3, dim=-1)
    hr, hz, hn = hp.chunk(3, dim=-1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h, None
