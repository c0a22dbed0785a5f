"""Embedding → (bi)directional recurrent encoder over packed sequences (on the CPU: padded_rnn.py)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seq2seq.models.padded_rnn import forward_padded, fused_padded_supported
from seq2seq.models.rnn import CellOptions, State, as_state, make_rnn
from seq2seq.tokenizers import PAD


@dataclass
class EncoderOutput:
    memory: torch.Tensor  # (B, S, D) top-layer outputs, zeros at padded positions
    mask: torch.Tensor  # (B, S) True at real tokens
    state: State  # each (layers, B, D): final state per layer, directions merged


class RNNEncoder(nn.Module):
    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, num_layers: int, cell: str,
                 bidirectional: bool, merge: str = "concat", dropout: float = 0.0, nonlinearity: str = "tanh",
                 cell_options: CellOptions = CellOptions()):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD)
        self.dropout = nn.Dropout(dropout)
        self.rnn = make_rnn(cell, embedding_dim, hidden_size, num_layers, dropout, bidirectional, nonlinearity,
                            cell_options)
        self.num_layers = num_layers
        self.directions = 2 if bidirectional else 1
        self.merge = merge
        self.output_size = hidden_size * (2 if bidirectional and merge == "concat" else 1)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """src (B, S) ids; lengths (B,) int64 on the CPU, all ≥ 1."""
        emb = self.dropout(self.embedding(src))
        if fused_padded_supported(self.rnn, emb):  # the CPU: packed LSTMs/GRUs are slow there (padded_rnn.py)
            memory, raw_state = forward_padded(self.rnn, emb, lengths.cpu())
        else:
            packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, raw_state = self.rnn(packed)
            memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        state = tuple(self._merge_state(s) for s in as_state(raw_state))
        if self.directions == 2 and self.merge == "sum":
            half = memory.size(-1) // 2
            memory = memory[..., :half] + memory[..., half:]
        return EncoderOutput(memory, src != PAD, state)

    def _merge_state(self, s: torch.Tensor) -> torch.Tensor:
        """(layers·dirs, B, H) → (layers, B, H·2 or H)."""
        if self.directions == 1:
            return s
        s = s.view(self.num_layers, 2, s.size(1), s.size(2))
        if self.merge == "sum":
            return s[:, 0] + s[:, 1]
        return torch.cat([s[:, 0], s[:, 1]], dim=-1)
