"""Viterbi decoding and the CRF log-partition in NumPy: ``seq2seq.models.crf.viterbi`` and
``CRF.log_partition`` with the same float32 arithmetic and tie-breaking (the first maximum)."""

from __future__ import annotations

import numpy as np


def viterbi(emissions: np.ndarray, mask: np.ndarray, transitions: np.ndarray, start: np.ndarray,
            end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """emissions (B, T, K) float32, mask (B, T) bool (a prefix of ones per row) → tags (B, T) int64 (0 at
    padding) and the best path scores (B,)."""
    batch, steps, k = emissions.shape
    score = start + emissions[:, 0]
    identity = np.broadcast_to(np.arange(k), (batch, k))
    history = []
    for t in range(1, steps):
        candidates = score[:, :, None] + transitions  # (B, K from, K to)
        prev = candidates.argmax(1)
        best = np.take_along_axis(candidates, prev[:, None, :], 1)[:, 0]
        keep = mask[:, t, None]
        score = np.where(keep, best + emissions[:, t], score)
        history.append(np.where(keep, prev, identity))
    total = score + end
    last = total.argmax(1)
    final = total[np.arange(batch), last]
    path = [last]
    for prev in reversed(history):
        last = prev[np.arange(batch), last]
        path.append(last)
    tags = np.stack(path[::-1], 1)
    return np.where(mask, tags, 0), final


def logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    top = x.max(axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    return (np.log(np.exp(x - top).sum(axis)) + np.squeeze(top, axis)).astype(x.dtype)


def log_partition(emissions: np.ndarray, mask: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                  end: np.ndarray) -> np.ndarray:
    """log Z per row (B,) by the forward algorithm."""
    alpha = start + emissions[:, 0]
    for t in range(1, emissions.shape[1]):
        nxt = logsumexp(alpha[:, :, None] + transitions, 1) + emissions[:, t]
        alpha = np.where(mask[:, t, None], nxt, alpha)
    return logsumexp(alpha + end, 1)


def log_softmax(x: np.ndarray) -> np.ndarray:
    return x - logsumexp(x, -1)[..., None]
