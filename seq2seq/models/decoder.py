"""Recurrent decoder, with or without input feeding, with or without coverage.

Without input feeding the decoder RNN runs as ONE call over the whole target (cuDNN on GPU) and attention
is applied to all steps at once: the fast path. With input feeding (Luong) the previous attentional
vector is concatenated to the next input embedding, which forces a per-step loop. With coverage the
attention at step t depends on the weights of the steps before it, so attention loops over the steps;
without input feeding the RNN itself still runs as one call. All modes share ``step`` for incremental
decoding, so search works the same for each.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from seq2seq.models.attention import Attention
from seq2seq.models.rnn import CellOptions, State, as_raw, as_state, make_rnn
from seq2seq.tokenizers import PAD


@dataclass
class DecoderState:
    """Everything that evolves per hypothesis; ``select`` reorders/expands rows for beam search."""

    hidden: State  # each (layers, B, H)
    feed: torch.Tensor | None  # (B, H) previous attentional vector (input feeding only)
    coverage: torch.Tensor | None = None  # (B, S) sum of past attention weights (coverage only)

    def select(self, rows: torch.Tensor) -> DecoderState:
        hidden = tuple(h.index_select(1, rows) for h in self.hidden)
        feed = self.feed.index_select(0, rows) if self.feed is not None else None
        coverage = self.coverage.index_select(0, rows) if self.coverage is not None else None
        return DecoderState(hidden, feed, coverage)


class RNNDecoder(nn.Module):
    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, num_layers: int, cell: str,
                 attention: str, memory_size: int, input_feed: bool, dropout: float = 0.0,
                 nonlinearity: str = "tanh", cell_options: CellOptions = CellOptions(), coverage: bool = False):
        super().__init__()
        if coverage and attention == "none":
            raise ValueError("coverage needs an attention model (attention is 'none')")
        self.input_feed = input_feed and attention != "none"
        self.coverage = coverage
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD)
        self.dropout = nn.Dropout(dropout)
        rnn_input = embedding_dim + (hidden_size if self.input_feed else 0)
        self.rnn = make_rnn(cell, rnn_input, hidden_size, num_layers, dropout, False, nonlinearity, cell_options)
        # Built only when used, so DDP never sees parameters without gradients.
        self.attention = None
        if attention != "none":
            self.attention = Attention(attention, hidden_size, memory_size, coverage=coverage)

    def initial_state(self, hidden: State, mask: torch.Tensor) -> DecoderState:
        """hidden: each (layers, B, H); mask (B, S) True at real source tokens."""
        h = hidden[0]
        feed = h.new_zeros(h.size(1), self.hidden_size) if self.input_feed else None
        coverage = h.new_zeros(mask.shape) if self.coverage else None
        return DecoderState(hidden, feed, coverage)

    def forward(self, tgt_in: torch.Tensor, state: DecoderState, memory: torch.Tensor, keys: torch.Tensor | None,
                mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, DecoderState]:
        """Teacher forcing. tgt_in (B, T) → outputs (B, T, H), attention (B, T, S) or None, final state."""
        emb = self.dropout(self.embedding(tgt_in))
        if not self.input_feed:
            rnn_out, raw = self.rnn(emb, as_raw(state.hidden))
            out, attn, coverage = self._attend(rnn_out, memory, keys, mask, state.coverage)
            return out, attn, DecoderState(as_state(raw), None, coverage)
        outs, attns = [], []
        for t in range(emb.size(1)):
            out, attn, state = self._step_embedded(emb[:, t : t + 1], state, memory, keys, mask)
            outs.append(out)
            attns.append(attn)
        return torch.cat(outs, 1), torch.cat(attns, 1), state

    def step(self, tokens: torch.Tensor, state: DecoderState, memory: torch.Tensor, keys: torch.Tensor | None,
             mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, DecoderState]:
        """One step. tokens (B,) → output (B, 1, H), attention (B, 1, S) or None, new state."""
        emb = self.dropout(self.embedding(tokens.unsqueeze(1)))
        return self._step_embedded(emb, state, memory, keys, mask)

    def _step_embedded(self, emb, state: DecoderState, memory, keys, mask):
        if self.input_feed:
            emb = torch.cat([emb, state.feed.unsqueeze(1)], dim=-1)
        rnn_out, raw = self.rnn(emb, as_raw(state.hidden))
        out, attn, coverage = self._attend(rnn_out, memory, keys, mask, state.coverage)
        return out, attn, DecoderState(as_state(raw), out.squeeze(1) if self.input_feed else None, coverage)

    def _attend(self, rnn_out, memory, keys, mask, coverage):
        """rnn_out (B, T, H) → attentional outputs (B, T, H), weights (B, T, S) or None, coverage after
        the T steps (B, S) or None."""
        if self.attention is None:
            return self.dropout(rnn_out), None, None
        if coverage is None:
            out, attn = self.attention(rnn_out, memory, keys, mask)
            return self.dropout(out), attn, None
        outs, attns = [], []
        for t in range(rnn_out.size(1)):  # coverage at step t needs the weights of steps < t
            out, attn = self.attention(rnn_out[:, t : t + 1], memory, keys, mask, coverage)
            coverage = coverage + attn.squeeze(1)
            outs.append(out)
            attns.append(attn)
        return self.dropout(torch.cat(outs, 1)), torch.cat(attns, 1), coverage
