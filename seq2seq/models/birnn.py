"""A bidirectional recurrent encoder over padded sentences, exact under padding, in two implementations:

* ``packed=True``: one bidirectional ``nn.LSTM``/``nn.GRU`` call per stack on a ``PackedSequence``;
* ``packed=False`` (default): per layer, the forward RNN runs on the padded batch (padding comes after
  each sentence, so it never reaches a real position) and the backward RNN on each sentence reversed
  *within its own length* (``reverse_within``), its outputs put back in order. No packing, so PyTorch's
  fused whole-sequence kernels run: forward + backward 13.7 ms instead of 29.4 ms for the packed call on
  one CPU thread (B=32, T=30, 160→100), and a whole CoNLL training step 1.2x faster.

Both give (B, T, 2H) outputs whose rows at real positions depend only on that sentence; positions past a
sentence's length are zero (packed) or unspecified (padded) and must be masked by the caller.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seq2seq.models.rnn import make_rnn


class Dropout(nn.Module):
    """Inverted dropout like ``nn.Dropout``, with the mask drawn by ``torch.rand`` (uniform) rather than
    ``bernoulli_``: the same distribution, about 3x faster on CPU."""

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * (torch.rand_like(x) >= self.p).to(x.dtype) * (1.0 / (1.0 - self.p))


def reverse_within(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x (B, T, D) with each row's first ``lengths[b]`` positions reversed; padding positions stay put.
    Applying it twice gives ``x`` back."""
    steps = torch.arange(x.size(1), device=x.device).unsqueeze(0)
    source = lengths.to(x.device).unsqueeze(1) - 1 - steps
    source = torch.where(source >= 0, source, steps)  # (B, T)
    return x.gather(1, source.unsqueeze(2).expand_as(x))


class BiRNN(nn.Module):
    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float,
                 packed: bool = False):
        super().__init__()
        self.packed = packed
        self.out_dim = 2 * hidden_size
        if packed:
            self.rnn = make_rnn(cell, input_size, hidden_size, num_layers, dropout, bidirectional=True)
            return
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.forward_rnns = nn.ModuleList(make_rnn(cell, n, hidden_size, 1, 0.0) for n in sizes)
        self.backward_rnns = nn.ModuleList(make_rnn(cell, n, hidden_size, 1, 0.0) for n in sizes)
        self.between = Dropout(dropout)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x (B, T, D), lengths (B,) long on the CPU, each >= 1 → (B, T, 2H)."""
        if self.packed:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.rnn(packed)
            return pad_packed_sequence(out, batch_first=True, total_length=x.size(1))[0]
        for layer, (fwd, bwd) in enumerate(zip(self.forward_rnns, self.backward_rnns)):
            if layer > 0:
                x = self.between(x)
            ahead, _ = fwd(x)
            behind, _ = bwd(reverse_within(x, lengths))
            x = torch.cat([ahead, reverse_within(behind, lengths)], dim=2)
        return x
