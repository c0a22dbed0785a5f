"""Linear-chain conditional random field: log-likelihood by the forward algorithm and Viterbi decoding,
both vectorised over the batch (one loop over time steps, none over sentences), with optional hard
constraints that forbid the tag transitions a scheme does not allow (``O`` → ``I-PER`` in BIO).

Shapes: emissions (B, T, K), tags (B, T) long, mask (B, T) bool with every row a prefix of ones of
length >= 1 (padding after each sentence). Padding never changes a result.
"""

from __future__ import annotations

import torch
from torch import nn

from seq2seq.data.conll.schemes import allowed, allowed_at_end

FORBIDDEN = -1.0e4  # added to forbidden transitions: far below any real score, yet finite (no NaN gradients)


def transition_constraints(tags: list[str], scheme: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Boolean masks of what ``scheme`` allows: (K, K) transitions [from, to], (K,) first tags, (K,) last tags."""
    trans = torch.tensor([[allowed(a, b, scheme) for b in tags] for a in tags], dtype=torch.bool)
    start = torch.tensor([allowed(None, t, scheme) for t in tags], dtype=torch.bool)
    end = torch.tensor([allowed_at_end(t, scheme) for t in tags], dtype=torch.bool)
    return trans, start, end


def penalties(masks: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """0 where allowed, FORBIDDEN where not."""
    return tuple(torch.where(m, 0.0, FORBIDDEN) for m in masks)


def _check(emissions: torch.Tensor, mask: torch.Tensor) -> None:
    if emissions.dim() != 3 or mask.shape != emissions.shape[:2]:
        raise ValueError(f"emissions (B, T, K) and mask (B, T) expected, got {tuple(emissions.shape)} and "
                         f"{tuple(mask.shape)}")
    if not bool(mask[:, 0].all()):
        raise ValueError("every sequence needs at least one position (mask[:, 0] must be all true)")


def viterbi(emissions: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
            end: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Best tag sequence per row: (tags (B, T) long, 0 at padding; scores (B,)).

    transitions (K, K) [from, to], start (K,), end (K,): scores added to the emissions along a path."""
    _check(emissions, mask)
    batch, steps, k = emissions.shape
    score = start + emissions[:, 0]  # (B, K)
    identity = torch.arange(k, device=emissions.device).expand(batch, k)
    history = []
    for t in range(1, steps):
        best, prev = (score.unsqueeze(2) + transitions).max(dim=1)  # (B, K): best predecessor of each tag
        keep = mask[:, t].unsqueeze(1)
        score = torch.where(keep, best + emissions[:, t], score)
        history.append(torch.where(keep, prev, identity))  # padding: each tag is its own predecessor
    final, last = (score + end).max(dim=1)
    path = [last]
    for prev in reversed(history):
        last = prev.gather(1, last.unsqueeze(1)).squeeze(1)
        path.append(last)
    tags = torch.stack(path[::-1], dim=1)
    return tags.masked_fill(~mask, 0), final


class CRF(nn.Module):
    """Learned transition, start and end scores over ``num_tags`` tags; ``constraints`` (the output of
    ``transition_constraints``) make forbidden transitions unreachable in training and decoding."""

    def __init__(self, num_tags: int, constraints: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None):
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        if constraints is None:
            constraints = (torch.ones(num_tags, num_tags, dtype=torch.bool), torch.ones(num_tags, dtype=torch.bool),
                           torch.ones(num_tags, dtype=torch.bool))
        for name, pen in zip(("trans_penalty", "start_penalty", "end_penalty"), penalties(constraints)):
            self.register_buffer(name, pen, persistent=False)  # derived from the tags: not in checkpoints

    def scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Transition (K, K), start (K,) and end (K,) scores with the constraints applied."""
        return self.transitions + self.trans_penalty, self.start + self.start_penalty, self.end + self.end_penalty

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z per row (B,): the log of the summed exp-scores of every tag path (forward algorithm)."""
        _check(emissions, mask)
        trans, start, end = self.scores()
        alpha = start + emissions[:, 0]  # (B, K)
        for t in range(1, emissions.size(1)):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Score (B,) of the given tag paths."""
        trans, start, end = self.scores()
        m = mask.to(emissions.dtype)
        emit = (emissions.gather(2, tags.unsqueeze(2)).squeeze(2) * m).sum(1)
        steps = (trans[tags[:, :-1], tags[:, 1:]] * m[:, 1:]).sum(1)
        last = tags.gather(1, (mask.sum(1) - 1).unsqueeze(1)).squeeze(1)
        return emit + steps + start[tags[:, 0]] + end[last]

    def log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log p(tags | emissions) per row (B,)."""
        return self.path_score(emissions, tags, mask) - self.log_partition(emissions, mask)

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Viterbi: (tags (B, T), 0 at padding; best path scores (B,))."""
        return viterbi(emissions, mask, *self.scores())
