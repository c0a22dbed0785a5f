"""Many-to-one sequence classifier: embedding → recurrent encoder (packed) → pooling → MLP → class logits.

Pooling summarises the encoder outputs of the real tokens only; which positions are real comes from the
lengths, never from the token values, so nothing at a padded position (its id, its embedding, the
encoder output there) can change the result.
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

from seq2seq.models.encoder import RNNEncoder

POOLINGS = ("last", "mean", "max", "attention")


def length_mask(lengths: torch.Tensor, max_len: int, device: torch.device) -> torch.Tensor:
    """(B,) lengths → (B, max_len) bool, True at the first ``lengths[b]`` positions of row b."""
    return torch.arange(max_len, device=device)[None, :] < lengths.to(device)[:, None]


def mean_pool(memory: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """memory (B, S, D), mask (B, S) → (B, D): the average over real positions."""
    summed = memory.masked_fill(~mask[..., None], 0.0).sum(dim=1)
    return summed / mask.sum(dim=1, keepdim=True).to(memory.dtype)


def max_pool(memory: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """memory (B, S, D), mask (B, S) → (B, D): the element-wise maximum over real positions."""
    return memory.masked_fill(~mask[..., None], float("-inf")).max(dim=1).values


class AttentionPool(nn.Module):
    """Additive attention with one learned query (Yang et al. 2016): score_t = q · tanh(W h_t + b), a softmax
    over the real positions only, and the weighted sum of the h_t."""

    def __init__(self, size: int):
        super().__init__()
        self.proj = nn.Linear(size, size)
        self.query = nn.Parameter(torch.randn(size) / size**0.5)

    def forward(self, memory: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """memory (B, S, D), mask (B, S) → pooled (B, D), weights (B, S) (exactly 0 at padded positions)."""
        scores = torch.tanh(self.proj(memory)) @ self.query
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return torch.bmm(weights[:, None, :], memory).squeeze(1), weights


def mlp(sizes: list[int], dropout: float) -> nn.Sequential:
    """Linear layers of the given sizes (input first, classes last) with ReLU and dropout between them."""
    layers: list[nn.Module] = [nn.Dropout(dropout)]
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        if i > 0:
            layers += [nn.ReLU(), nn.Dropout(dropout)]
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class SequenceClassifier(nn.Module):
    # Keyword-only, no defaults: the values come from the validated ``model`` section (ClassifierModelConfig).
    def __init__(self, vocab_size: int, num_classes: int, *, cell: str, embedding_dim: int, hidden_size: int,
                 num_layers: int, bidirectional: bool, dropout: float, rnn_nonlinearity: str, pooling: str,
                 mlp_hidden: list[int], mlp_dropout: float):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}")
        self.encoder = RNNEncoder(vocab_size, embedding_dim, hidden_size, num_layers, cell, bidirectional,
                                  "concat", dropout, rnn_nonlinearity)
        size = self.encoder.output_size
        self.pooling = pooling
        self.attention = AttentionPool(size) if pooling == "attention" else None
        self.head = mlp([size, *mlp_hidden, num_classes], mlp_dropout)

    def summary(self, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """tokens (B, S) ids, lengths (B,) int64 on the CPU, all ≥ 1 → sequence vectors (B, D) and the
        attention weights (B, S) (None unless ``pooling=attention``)."""
        assert tokens.dim() == 2 and lengths.shape == (tokens.size(0),), (tokens.shape, lengths.shape)
        enc = self.encoder(tokens, lengths)
        mask = length_mask(lengths, tokens.size(1), tokens.device)
        if self.pooling == "last":
            # The top layer's final state: forward direction after the last real token, backward after
            # the first (packing stops each sequence at its own length). LSTM: h, not c.
            return enc.state[0][-1], None
        if self.pooling == "mean":
            return mean_pool(enc.memory, mask), None
        if self.pooling == "max":
            return max_pool(enc.memory, mask), None
        return self.attention(enc.memory, mask)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """tokens (B, S), lengths (B,) → class logits (B, C) and the attention weights (B, S) or None."""
        pooled, weights = self.summary(tokens, lengths)
        return self.head(pooled), weights
