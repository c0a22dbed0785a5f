"""Greedy search, beam search and sampling in NumPy over an exported model (``OnnxSeq2Seq``): the same
algorithms, rules and tie-breaking as ``seq2seq.models.search`` / ``sampling`` (the equality tests compare
them token for token), with float32 scores like the PyTorch search.

A model here has ``encode(src, lengths) -> (source, state)`` and ``step(tokens, state, source) -> (logp,
attn or None, state)``, where ``source`` and ``state`` are dicts of arrays that ``select`` reorders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seq2seq.tokenizers.base import BOS, EOS, PAD

NEG_INF = np.float32(-np.inf)
COVERAGE_FLOOR = 1e-6


@dataclass
class SearchResult:
    tokens: np.ndarray  # (B, N, T) ids, EOS then PAD after the end
    scores: np.ndarray  # (B, N)
    attention: np.ndarray | None  # (B, T, S) of the best hypothesis, or None


def max_lengths(src_lengths: np.ndarray, ratio: float, extra: int, cap: int) -> np.ndarray:
    budget = np.floor(src_lengths.astype(np.float64) * ratio + 1e-9).astype(np.int64) + extra
    return np.clip(budget, 1, cap)


def constrain(logp: np.ndarray, step: int, history: np.ndarray, max_len: np.ndarray, min_len: int = 0,
              no_repeat_ngram: int = 0) -> np.ndarray:
    """``seq2seq.models.search.constrain``: no PAD/BOS; no EOS before ``min_len``; no repeated n-gram."""
    logp = logp.copy()
    logp[:, PAD] = NEG_INF
    logp[:, BOS] = NEG_INF
    if step < min_len:
        logp[:, EOS] = np.where(step + 1 < max_len, NEG_INF, logp[:, EOS])
    n = no_repeat_ngram
    if n > 0 and history.shape[1] >= n:
        windows = np.lib.stride_tricks.sliding_window_view(history, n, axis=1)  # (R, W, n)
        prefix = history[:, history.shape[1] - n + 1 :]
        match = (windows[:, :, : n - 1] == prefix[:, None, :]).all(-1)  # (R, W)
        banned = np.zeros(logp.shape, dtype=np.float32)
        rows = np.broadcast_to(np.arange(len(logp))[:, None], match.shape)
        np.add.at(banned, (rows, windows[:, :, -1]), match.astype(np.float32))
        logp[banned > 0] = NEG_INF
    return logp


def decode_one_per_row(model, src, src_lengths, max_len, pick, min_len=0, no_repeat_ngram=0) -> SearchResult:
    """Greedy search (``pick`` = argmax) or sampling (``pick`` = a draw), one output per source."""
    source, state = model.encode(src, src_lengths)
    b, steps = len(src), int(max_len.max())
    tokens = np.full(b, BOS, dtype=np.int64)
    finished = np.zeros(b, dtype=bool)
    scores = np.zeros(b, dtype=np.float32)
    out, attns = [], []
    for t in range(steps):
        logp, attn, state = model.step(tokens, state, source)
        history = np.stack(out, 1) if no_repeat_ngram and out else np.zeros((b, 0), dtype=np.int64)
        logp = constrain(logp, t, history, max_len, min_len, no_repeat_ngram)
        tokens = np.where(t + 1 >= max_len, EOS, pick(logp)).astype(np.int64)
        scores = scores + np.where(finished, np.float32(0), logp[np.arange(b), tokens])
        tokens = np.where(finished, PAD, tokens)
        out.append(tokens)
        if attn is not None:
            attns.append(attn)
        finished = finished | (tokens == EOS)
        if finished.all():
            break
    attention = np.stack(attns, 1) if attns else None
    return SearchResult(np.stack(out, 1)[:, None, :], scores[:, None], attention)


def greedy_search(model, src, src_lengths, max_len, min_len=0, no_repeat_ngram=0) -> SearchResult:
    return decode_one_per_row(model, src, src_lengths, max_len, lambda logp: logp.argmax(-1), min_len,
                              no_repeat_ngram)


def filter_logits(logp: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """``seq2seq.models.sampling.filter_logits``."""
    if temperature <= 1e-6:
        out = np.full_like(logp, NEG_INF)
        out[np.arange(len(logp)), logp.argmax(-1)] = 0.0
        return out
    logits = logp / np.float32(temperature)
    if 0 < top_k < logits.shape[-1]:
        kth = -np.partition(-logits, top_k - 1, axis=-1)[:, top_k - 1 : top_k]
        logits = np.where(logits < kth, NEG_INF, logits)
    if 0.0 < top_p < 1.0:
        order = np.argsort(-logits, axis=-1, kind="stable")
        sorted_logits = np.take_along_axis(logits, order, -1)
        probs = softmax(sorted_logits)
        drop = (np.cumsum(probs, -1) - probs) >= top_p
        sorted_logits = np.where(drop, NEG_INF, sorted_logits)
        np.put_along_axis(logits, order, sorted_logits, -1)
    return logits


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sample(model, src, src_lengths, max_len, temperature=1.0, top_k=0, top_p=1.0, seed=None, min_len=0,
           no_repeat_ngram=0) -> SearchResult:
    """One drawn output per source (NumPy's generator: the same seed draws differently than PyTorch's)."""
    rng = np.random.default_rng(seed)

    def draw(logp: np.ndarray) -> np.ndarray:
        probs = softmax(filter_logits(logp, temperature, top_k, top_p).astype(np.float64))
        cumulative = np.cumsum(probs, -1)
        # The first token whose cumulative probability exceeds a uniform draw (never a zero-probability one).
        return (cumulative <= rng.random((len(probs), 1)) * cumulative[:, -1:]).sum(-1).clip(max=probs.shape[1] - 1)

    return decode_one_per_row(model, src, src_lengths, max_len, draw, min_len, no_repeat_ngram)


def length_penalty(lengths: np.ndarray, kind: str, alpha: float) -> np.ndarray:
    if kind == "none":
        return np.ones(lengths.shape, dtype=np.float32)
    if kind == "avg":
        return lengths.astype(np.float32)
    return ((np.float32(5.0) + lengths.astype(np.float32)) / np.float32(6.0)) ** np.float32(alpha)


def coverage_penalty(attn_total: np.ndarray, mask: np.ndarray, beta: float) -> np.ndarray:
    covered = np.where(mask, np.log(np.clip(attn_total, COVERAGE_FLOOR, 1.0)), np.float32(0))
    return np.float32(beta) * covered.sum(-1)


def topk(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest values per row, sorted descending, and their indices (as ``torch.topk``)."""
    part = np.argpartition(-x, k - 1, axis=1)[:, :k] if k < x.shape[1] else np.tile(np.arange(x.shape[1]), (len(x), 1))
    values = np.take_along_axis(x, part, 1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(values, order, 1), np.take_along_axis(part, order, 1)
