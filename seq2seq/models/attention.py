"""Attention over encoder memory: Bahdanau (additive) and Luong dot / general scores.

All types share one flow (Luong et al. 2015): the decoder output h_t queries the memory, the context c_t
is the weighted sum of memory, and the attentional vector is tanh(W_c [c_t; h_t]). ``query`` may hold
one step (T=1, incremental decoding) or all target steps at once (teacher forcing without input feeding).
"""

from __future__ import annotations

import torch
from torch import nn

ATTENTIONS = ("none", "bahdanau", "dot", "general")


class Attention(nn.Module):
    def __init__(self, kind: str, query_size: int, memory_size: int, attn_size: int | None = None):
        super().__init__()
        if kind not in ATTENTIONS or kind == "none":
            raise ValueError(f"unknown attention {kind!r}; choose one of {ATTENTIONS[1:]}")
        if kind == "dot" and query_size != memory_size:
            raise ValueError(f"dot attention needs decoder size {query_size} == memory size {memory_size}")
        self.kind = kind
        if kind == "general":
            self.query_proj = nn.Linear(query_size, memory_size, bias=False)
        elif kind == "bahdanau":
            attn_size = attn_size or query_size
            self.query_proj = nn.Linear(query_size, attn_size, bias=False)
            self.memory_proj = nn.Linear(memory_size, attn_size, bias=True)
            self.v = nn.Linear(attn_size, 1, bias=False)
        self.out = nn.Linear(memory_size + query_size, query_size, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        """Per-sentence precomputation, done once per source and reused at every decoding step."""
        return self.memory_proj(memory) if self.kind == "bahdanau" else memory

    def scores(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """query (B, T, Dq), keys (B, S, ·) → (B, T, S)."""
        if self.kind == "dot":
            return torch.bmm(query, keys.transpose(1, 2))
        if self.kind == "general":
            return torch.bmm(self.query_proj(query), keys.transpose(1, 2))
        q = self.query_proj(query).unsqueeze(2)  # B, T, 1, A
        return self.v(torch.tanh(q + keys.unsqueeze(1))).squeeze(-1)

    def forward(self, query: torch.Tensor, memory: torch.Tensor, keys: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, Dq), memory (B, S, Dm), mask (B, S) True at real tokens →
        attentional vectors (B, T, Dq) and weights (B, T, S) that sum to 1 over real tokens, 0 on padding."""
        scores = self.scores(query, keys).masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights, memory)
        return torch.tanh(self.out(torch.cat([context, query], dim=-1))), weights
