"""Per-step histories of a decode loop, kept without re-copying them every step.

Search appends one tensor per output position (tokens, backpointers, attention weights). Concatenating the
history with each new step, or reordering all of it with the beams, copies O(t) data at step t: quadratic
in output length (a 512-step beam over a 4,000-token source spent 28 of 35 s there). ``StepHistory``
writes each step into a preallocated buffer that doubles when full (amortised O(one step) per append), and
beam search records parent rows instead of reordering, resolving them once at the end (``backtrack``).
"""

from __future__ import annotations

import torch

INITIAL_STEPS = 16  # first buffer size; doubling keeps the total copied below twice the final size


class StepHistory:
    """Tensors of one shape appended along a new leading step axis: ``view()`` is (T, *shape), no copy.

    ``limit`` bounds the buffer (the decode loop never runs more steps), so it never grows past it."""

    def __init__(self, like: torch.Tensor, limit: int):
        self.limit = max(1, int(limit))
        self.buffer = like.new_empty((min(INITIAL_STEPS, self.limit), *like.shape))
        self.steps = 0
        self.reallocations = 0  # how often the buffer grew (tests assert it is logarithmic in steps)

    def append(self, x: torch.Tensor) -> None:
        if self.steps == self.buffer.size(0):
            grown = self.buffer.new_empty((min(2 * self.steps, max(self.limit, self.steps + 1)), *x.shape))
            grown[: self.steps] = self.buffer
            self.buffer = grown
            self.reallocations += 1
        self.buffer[self.steps] = x
        self.steps += 1

    def view(self) -> torch.Tensor:
        """(T, *shape): the steps appended so far, a view of the buffer (valid until the next append)."""
        return self.buffer[: self.steps]

    def reorder(self, rows: torch.Tensor) -> None:
        """Reorder dim 1 (the rows) of every step so far: O(T) work, for callers that must read each row's
        whole history every step anyway (n-gram blocking scans all of it)."""
        self.buffer[: self.steps] = self.view().index_select(1, rows)

    def rows_first(self) -> torch.Tensor:
        """(rows, T, ...) contiguous copy, the layout results use."""
        return self.view().transpose(0, 1).contiguous()


def backtrack(parents: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """Rows of hypotheses through the steps, from backpointers. parents (T, R): ``parents[t, j]`` is the row
    before step t that row j after step t extends; last (M,) rows after the final step → (T, M) the row
    after each step t of those hypotheses. One small gather per step, once per search."""
    steps = parents.size(0)
    rows = last.new_empty((steps, last.numel()))
    row = last
    for t in range(steps - 1, -1, -1):
        rows[t] = row
        row = parents[t].index_select(0, row)
    return rows


def along(history: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """history (T, R, ...) indexed by rows (T, M) → (M, T, ...): each hypothesis' entry at every step."""
    steps = torch.arange(history.size(0), device=history.device).unsqueeze(1)
    return history[steps, rows].transpose(0, 1).contiguous()
