"""Bridges from the encoder's final state to the decoder's initial state."""

from __future__ import annotations

import torch
from torch import nn

from seq2seq.models.rnn import State

BRIDGES = ("zero", "copy", "dense")


class Bridge(nn.Module):
    """``zero``: start from zeros. ``copy``: decoder layer i takes encoder layer i (the top layers when
    the encoder is deeper, the top layer repeated when shallower), linearly projected only if sizes
    differ. ``dense``: all encoder layers' final states → Linear → tanh → every decoder layer."""

    def __init__(self, kind: str, n_states: int, enc_layers: int, enc_size: int, dec_layers: int, dec_size: int):
        super().__init__()
        if kind not in BRIDGES:
            raise ValueError(f"unknown bridge {kind!r}; choose one of {BRIDGES}")
        self.kind, self.enc_layers, self.dec_layers, self.dec_size = kind, enc_layers, dec_layers, dec_size
        self.proj = nn.ModuleList()
        if kind == "copy" and enc_size != dec_size:
            self.proj = nn.ModuleList(nn.Linear(enc_size, dec_size) for _ in range(n_states))
        elif kind == "dense":
            self.proj = nn.ModuleList(
                nn.Linear(enc_layers * enc_size, dec_layers * dec_size) for _ in range(n_states))

    def forward(self, state: State) -> State:
        """Each tensor (enc_layers, B, enc_size) → (dec_layers, B, dec_size)."""
        if self.kind == "zero":
            b = state[0].size(1)
            return tuple(state[0].new_zeros(self.dec_layers, b, self.dec_size) for _ in state)
        if self.kind == "copy":
            out = []
            for k, s in enumerate(state):
                idx = [min(self.enc_layers - 1, max(0, self.enc_layers - self.dec_layers) + i)
                       for i in range(self.dec_layers)]
                s = s[idx]
                out.append(self.proj[k](s) if len(self.proj) else s)
            return tuple(t.contiguous() for t in out)
        b = state[0].size(1)
        return tuple(
            torch.tanh(self.proj[k](s.transpose(0, 1).reshape(b, -1)))
            .view(b, self.dec_layers, self.dec_size).transpose(0, 1).contiguous()
            for k, s in enumerate(state)
        )
