"""Batched beam search in NumPy: ``seq2seq.models.search.beam_search`` step for step (same candidate
scores in float32, the same EOS/PAD rules, keep_greedy, length and coverage penalties, n-best)."""

from __future__ import annotations

import numpy as np

from seq2seq.onnx_runtime.search import (
    NEG_INF,
    SearchResult,
    constrain,
    coverage_penalty,
    greedy_search,
    length_penalty,
    topk,
)
from seq2seq.tokenizers.base import BOS, EOS, PAD


class History:
    """Chosen tokens and parent rows per step (resolved once at the end), the attention of the rows before
    reordering, the attention summed over each row's live steps (coverage penalty), and each row's tokens
    in row order (n-gram blocking)."""

    def __init__(self, rows: int, ngram: bool):
        self.tokens, self.parents, self.attention = [], [], []
        self.ngram = np.zeros((rows, 0), dtype=np.int64) if ngram else None
        self.total = None

    def add(self, tokens, gather, attn, live) -> None:
        self.tokens.append(tokens)
        self.parents.append(gather)
        if self.ngram is not None:
            self.ngram = np.concatenate([self.ngram[gather], tokens[:, None]], 1)
        if attn is None:
            return
        self.attention.append(attn)
        counted = attn * live[:, None].astype(attn.dtype)
        total = counted if self.total is None else self.total + counted
        self.total = total[gather]

    def ngram_view(self, rows: int) -> np.ndarray:
        return self.ngram if self.ngram is not None else np.zeros((rows, 0), dtype=np.int64)

    def hypotheses(self, last: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """last (B, N) rows after the final step → tokens (B, N, T), attention of the first (B, T, S)."""
        b, n = last.shape
        steps = len(self.tokens)
        rows = np.empty((steps, b * n), dtype=np.int64)
        row = last.reshape(-1)
        for t in range(steps - 1, -1, -1):
            rows[t] = row
            row = self.parents[t][row]
        tokens = np.stack([self.tokens[t][rows[t]] for t in range(steps)], 1).reshape(b, n, steps)
        if not self.attention:
            return tokens, None
        best = rows.reshape(steps, b, n)[:, :, 0]
        attention = np.stack([self.attention[t][self.parents[t][best[t]]] for t in range(steps)], 1)
        return tokens, attention


def only(logp: np.ndarray, token: int) -> np.ndarray:
    out = np.full_like(logp, NEG_INF)
    out[..., token] = logp[..., token]
    return out


def beam_search(model, src, src_lengths, max_len, beam_size=5, n_best=1, penalty="none", alpha=0.6, min_len=0,
                no_repeat_ngram=0, coverage_beta=0.0, keep_greedy=False) -> SearchResult:
    if beam_size == 1 and n_best == 1:
        return greedy_search(model, src, src_lengths, max_len, min_len, no_repeat_ngram)
    b, k = len(src), beam_size
    source, state = model.encode(src, src_lengths)
    rows = np.repeat(np.arange(b), k)
    source, state = model.select(source, rows, state)
    limit = np.repeat(max_len, k).reshape(b, k)
    scores = np.full((b, k), NEG_INF, dtype=np.float32)
    scores[:, 0] = 0.0
    tokens = np.full(b * k, BOS, dtype=np.int64)
    finished = np.zeros((b, k), dtype=bool)
    lengths = np.zeros((b, k), dtype=np.int64)
    history = History(b * k, no_repeat_ngram > 0)
    greedy_row = np.zeros(b, dtype=np.int64)
    offsets = (np.arange(b) * k)[:, None]
    for t in range(int(max_len.max())):
        logp, attn, state = model.step(tokens, state, source)
        if attn is None and coverage_beta:
            raise ValueError("decoding.coverage_penalty needs a model with attention (model.attention is none)")
        logp = constrain(logp, t, history.ngram_view(b * k), limit.reshape(-1), min_len, no_repeat_ngram)
        v = logp.shape[-1]
        logp = logp.reshape(b, k, v)
        forced = (t + 1 >= limit) & ~finished
        logp = np.where(forced[..., None], only(logp, EOS), logp)
        logp = np.where(finished[..., None], only(np.zeros_like(logp), PAD), logp)
        cand = (scores[..., None] + logp).reshape(b, k * v)
        scores, flat = topk(cand, k)
        if keep_greedy:
            scores, flat, greedy_row = _keep_greedy(cand, scores, flat, logp, greedy_row)
        origin, chosen = flat // v, flat % v
        gather = (origin + offsets).reshape(-1)
        _, state = model.select(None, gather, state)
        history.add(chosen.reshape(-1), gather, attn, ~finished.reshape(-1))
        was_finished = np.take_along_axis(finished, origin, 1)
        lengths = np.take_along_axis(lengths, origin, 1) + (~was_finished)
        finished = was_finished | (chosen == EOS)
        tokens = chosen.reshape(-1)
        if finished.all():
            break
    norm = scores / length_penalty(lengths, penalty, alpha)
    if coverage_beta:
        norm = norm + coverage_penalty(history.total, source["mask"], coverage_beta).reshape(b, k)
    order = np.argsort(-norm, axis=1, kind="stable")[:, :n_best]
    best, attention = history.hypotheses(order + offsets)
    return SearchResult(best, np.take_along_axis(norm, order, 1), attention)


def _keep_greedy(cand, scores, flat, logp, greedy_row):
    b, k, v = logp.shape
    rows = np.arange(b)
    greedy_flat = greedy_row * v + logp[rows, greedy_row].argmax(-1)
    present = flat == greedy_flat[:, None]
    missing = ~present.any(1)
    flat, scores = flat.copy(), scores.copy()
    flat[:, -1] = np.where(missing, greedy_flat, flat[:, -1])
    scores[:, -1] = np.where(missing, cand[rows, greedy_flat], scores[:, -1])
    slot = np.where(missing, k - 1, present.argmax(1))
    return scores, flat, slot
