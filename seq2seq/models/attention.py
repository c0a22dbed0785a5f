"""Attention over encoder memory: Bahdanau (additive) and Luong dot / general / concat scores, with an
optional coverage term.

All types share one flow (Luong et al. 2015): the decoder output h_t queries the memory, the context c_t
is the weighted sum of memory, and the attentional vector is tanh(W_c [c_t; h_t]). ``query`` may hold
one step (T=1, incremental decoding) or all target steps at once (teacher forcing without input feeding).

Additive scores: bahdanau is v^T tanh(W_q h_t + W_m h_s + b); Luong's concat is v^T tanh(W_a [h_t; h_s]),
computed as W_a = [W_q, W_m] so the memory half is precomputed once per sentence in ``keys``. In this
flow (query h_t, not s_{t-1}) the two differ only by the bias b.

Coverage (Tu et al. 2016, See et al. 2017) gives the score the sum of past attention weights cov (B, S):
additive scores add w_c · cov_i inside the tanh; dot/general scores add a learned scalar w · cov_i
(initialised at 0, so a coverage model starts out scoring exactly as the plain one). Since coverage at
step t depends on the steps before it, a query with coverage holds one step (T=1).
"""

from __future__ import annotations

import torch
from torch import nn

ATTENTIONS = ("none", "bahdanau", "dot", "general", "concat")
ADDITIVE = ("bahdanau", "concat")


class Attention(nn.Module):
    def __init__(self, kind: str, query_size: int, memory_size: int, attn_size: int | None = None,
                 coverage: bool = False):
        super().__init__()
        if kind not in ATTENTIONS or kind == "none":
            raise ValueError(f"unknown attention {kind!r}; choose one of {ATTENTIONS[1:]}")
        if kind == "dot" and query_size != memory_size:
            raise ValueError(f"dot attention needs decoder size {query_size} == memory size {memory_size}")
        self.kind = kind
        self.coverage = coverage
        if kind == "general":
            self.query_proj = nn.Linear(query_size, memory_size, bias=False)
        elif kind in ADDITIVE:
            attn_size = attn_size or query_size
            self.query_proj = nn.Linear(query_size, attn_size, bias=False)
            self.memory_proj = nn.Linear(memory_size, attn_size, bias=kind == "bahdanau")
            self.v = nn.Linear(attn_size, 1, bias=False)
        if coverage and kind in ADDITIVE:
            self.coverage_proj = nn.Linear(1, attn_size, bias=False)
        elif coverage:
            self.coverage_weight = nn.Parameter(torch.zeros(()))
        self.out = nn.Linear(memory_size + query_size, query_size, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        """Per-sentence precomputation, done once per source and reused at every decoding step."""
        if self.kind == "general":
            # (W h_t)·h_s = h_t·(Wᵀ h_s): project the memory once per sentence instead of the query at every
            # decoding step (B·S products once, not B per step; the same scores up to rounding).
            return memory @ self.query_proj.weight
        return self.memory_proj(memory) if self.kind in ADDITIVE else memory

    def scores(self, query: torch.Tensor, keys: torch.Tensor, coverage: torch.Tensor | None = None) -> torch.Tensor:
        """query (B, T, Dq), keys (B, S, ·), coverage (B, S) or None → (B, T, S)."""
        if self.kind in ADDITIVE:
            hidden = self.query_proj(query).unsqueeze(2) + keys.unsqueeze(1)  # B, T, S, A
            if coverage is not None:
                hidden = hidden + self.coverage_proj(coverage.unsqueeze(-1)).unsqueeze(1)
            return self.v(torch.tanh(hidden)).squeeze(-1)
        scores = torch.bmm(query, keys.transpose(1, 2))  # dot: keys = memory; general: memory·W
        if coverage is not None:
            scores = scores + self.coverage_weight * coverage.unsqueeze(1)
        return scores

    def forward(self, query: torch.Tensor, memory: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor,
                coverage: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, Dq), memory (B, S, Dm), mask (B, S) True at real tokens, coverage (B, S) (required
        by a coverage attention, then T=1) → attentional vectors (B, T, Dq) and weights (B, T, S) that sum
        to 1 over real tokens, 0 on padding."""
        if self.coverage != (coverage is not None):
            raise ValueError("a coverage attention needs the coverage vector, a plain one takes none")
        if coverage is not None and query.size(1) != 1:
            raise ValueError(f"coverage attention scores one step at a time, got {query.size(1)} steps")
        scores = self.scores(query, keys, coverage).masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights, memory)
        return torch.tanh(self.out(torch.cat([context, query], dim=-1))), weights


def coverage_loss(attn: torch.Tensor, tgt_mask: torch.Tensor) -> torch.Tensor:
    """See et al. (2017): sum_t sum_i min(a_t,i, c_t,i) with c_t = sum_{t'<t} a_t', averaged over the real
    target tokens. attn (B, T, S), tgt_mask (B, T) True at real target tokens → scalar. It penalises
    attending again to what was already attended to."""
    coverage = attn.cumsum(dim=1) - attn  # weights of the steps before each step
    per_step = torch.minimum(attn, coverage).sum(-1)
    mask = tgt_mask.to(per_step.dtype)
    return (per_step * mask).sum() / mask.sum().clamp(min=1)
