"""Greedy and batched beam search over any model with ``encode`` and ``step`` (see Seq2SeqModel).

Both run entirely on the device with tensor operations over (batch × beam) rows; there is no Python loop
over sentences or hypotheses, only over output positions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from seq2seq.models.history import StepHistory, along, backtrack
from seq2seq.tokenizers import BOS, EOS, PAD

LENGTH_PENALTIES = ("none", "avg", "gnmt")
COVERAGE_FLOOR = 1e-6  # what an unattended source position counts as in the coverage penalty


@dataclass
class SearchResult:
    tokens: torch.Tensor  # (B, N, T) ids, EOS then PAD after the end; N = n_best (1 for greedy)
    scores: torch.Tensor  # (B, N) total log-probability (length-normalised for beam with a penalty)
    attention: torch.Tensor | None  # (B, T, S) attention of the best hypothesis, or None


def max_lengths(src_lengths: torch.Tensor, ratio: float, extra: int, cap: int) -> torch.Tensor:
    """Per-sentence output budget: ratio · source length + extra, at most cap. (B,) int64 on the CPU
    (float64 arithmetic there, so 1.3 × 90 is 117, not float32's 116)."""
    budget = (src_lengths.cpu().double() * ratio + 1e-9).floor().long() + extra
    return torch.clamp(budget, min=1, max=cap)


def block_specials(logp: torch.Tensor) -> torch.Tensor:
    """PAD and BOS are never generated (PAD marks the end after EOS; BOS only starts)."""
    logp = logp.clone()
    logp[:, PAD] = float("-inf")
    logp[:, BOS] = float("-inf")
    return logp


def length_penalty(lengths: torch.Tensor, kind: str, alpha: float) -> torch.Tensor:
    if kind == "none":
        return torch.ones_like(lengths, dtype=torch.float)
    if kind == "avg":
        return lengths.float()
    if kind == "gnmt":
        return ((5.0 + lengths.float()) / 6.0) ** alpha
    raise ValueError(f"unknown length penalty {kind!r}; choose one of {LENGTH_PENALTIES}")


def constrain(logp: torch.Tensor, step: int, history: torch.Tensor, max_len: torch.Tensor, min_len: int = 0,
              no_repeat_ngram: int = 0) -> torch.Tensor:
    """Apply the output rules to step ``step``'s log-probabilities (R, V), given each row's tokens so far
    ``history`` (R, step) and budget ``max_len`` (R,): never PAD/BOS; no EOS before ``min_len`` tokens
    (unless the budget ends sooner); no token that would repeat an n-gram of size ``no_repeat_ngram``."""
    logp = block_specials(logp)
    if step < min_len:
        early = step + 1 < max_len
        logp[:, EOS] = logp[:, EOS].masked_fill(early, float("-inf"))
    n = no_repeat_ngram
    if n > 0 and history.size(1) >= n:
        windows = history.unfold(1, n, 1)  # (R, W, n): every n-gram so far
        prefix = history[:, history.size(1) - n + 1 :]  # the last n-1 tokens
        match = (windows[:, :, : n - 1] == prefix.unsqueeze(1)).all(-1)  # (R, W)
        banned = torch.zeros_like(logp).scatter_add_(1, windows[:, :, -1], match.to(logp.dtype))
        logp = logp.masked_fill(banned > 0, float("-inf"))
    return logp


@torch.no_grad()
def greedy_search(model, src: torch.Tensor, src_lengths: torch.Tensor, max_len: torch.Tensor, min_len: int = 0,
                  no_repeat_ngram: int = 0, keep_attention: bool = True) -> SearchResult:
    """max_len (B,) on src's device. Rows that reach their budget are closed with EOS."""
    return decode_one_per_row(model, src, src_lengths, max_len, lambda logp: logp.argmax(dim=-1), min_len,
                              no_repeat_ngram, keep_attention)


def decode_one_per_row(model, src: torch.Tensor, src_lengths: torch.Tensor, max_len: torch.Tensor,
                       pick: Callable[[torch.Tensor], torch.Tensor], min_len: int = 0,
                       no_repeat_ngram: int = 0, keep_attention: bool = True) -> SearchResult:
    """One output per source, left to right: ``pick`` chooses each step's tokens (B,) from the constrained
    log-probabilities (B, V) (argmax for greedy search, a draw for sampling). ``scores`` are the model's
    log-probabilities of the chosen tokens; rows that reach their budget are closed with EOS.
    ``keep_attention=False``: no attention history (B·T·S floats: about 1 GB for a 100 KB line at 512 steps)."""
    source, state = model.encode(src, src_lengths)
    b, steps = src.size(0), int(max_len.max())
    tokens = torch.full((b,), BOS, dtype=torch.long, device=src.device)
    finished = torch.zeros(b, dtype=torch.bool, device=src.device)
    scores = torch.zeros(b, device=src.device)
    out, attns = StepHistory(tokens, steps), None
    for t in range(steps):
        logp, attn, state = model.step(tokens, state, source)
        history = out.view().t() if no_repeat_ngram else tokens.new_zeros(b, 0)  # (B, t), no copy
        logp = constrain(logp, t, history, max_len, min_len, no_repeat_ngram)
        tokens = pick(logp)
        tokens = torch.where(t + 1 >= max_len, torch.full_like(tokens, EOS), tokens)
        scores = scores + logp.gather(1, tokens.unsqueeze(1)).squeeze(1).masked_fill(finished, 0.0)
        tokens = tokens.masked_fill(finished, PAD)
        out.append(tokens)
        if attn is not None and keep_attention:
            if attns is None:
                attns = StepHistory(attn, steps)
            attns.append(attn)
        finished = finished | (tokens == EOS)
        if bool(finished.all()):  # one host sync per step; decoding is not the training hot path
            break
    attention = attns.rows_first() if attns is not None else None
    return SearchResult(out.rows_first().unsqueeze(1), scores.unsqueeze(1), attention)


class _BeamHistory:
    """What beam search remembers per step, in O(one step) per step: the chosen tokens and their parent
    rows (backpointers, resolved once by ``hypotheses``), the attention weights of the rows before
    reordering, and the attention summed over each row's live steps (for the coverage penalty; (R, S),
    reordered with the beams). With n-gram blocking, each row's tokens are also kept in row order
    (``ngram_view``): the rule scans all of them every step anyway."""

    def __init__(self, rows: int, steps: int, device: torch.device, ngram: bool, keep_attention: bool):
        like = torch.zeros(rows, dtype=torch.long, device=device)
        self.steps = steps
        self.tokens, self.parents = StepHistory(like, steps), StepHistory(like, steps)
        self.ngram = StepHistory(like, steps) if ngram else None
        self.attention: StepHistory | None = None
        self.keep_attention = keep_attention
        self.total: torch.Tensor | None = None

    def add(self, tokens: torch.Tensor, gather: torch.Tensor, attn: torch.Tensor | None,
            live: torch.Tensor) -> None:
        """tokens (R,) chosen for the new rows, gather (R,) the parent row of each new row, attn (R, S) of
        the rows before reordering or None, live (R,) rows not finished before this step."""
        self.tokens.append(tokens)
        self.parents.append(gather)
        if self.ngram is not None:
            self.ngram.reorder(gather)
            self.ngram.append(tokens)
        if attn is None:
            return
        if self.keep_attention:
            if self.attention is None:
                self.attention = StepHistory(attn, self.steps)
            self.attention.append(attn)
        counted = attn * live.unsqueeze(1).to(attn.dtype)
        total = counted if self.total is None else self.total + counted
        self.total = total.index_select(0, gather)

    def ngram_view(self, rows: int) -> torch.Tensor:
        """(R, t) each row's tokens so far (empty without n-gram blocking)."""
        return self.ngram.view().t() if self.ngram is not None else self.parents.buffer.new_zeros(rows, 0)

    def hypotheses(self, last: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """last (B, N) rows after the final step, best first → their tokens (B, N, T) and the attention of
        the first of each (B, T, S), or None."""
        b, n = last.shape
        rows = backtrack(self.parents.view(), last.reshape(-1))  # (T, B·N)
        tokens = along(self.tokens.view(), rows).view(b, n, rows.size(0))
        if self.attention is None:
            return tokens, None
        best = rows.view(-1, b, n)[:, :, 0]  # (T, B)
        return tokens, along(self.attention.view(), self.parents.view().gather(1, best))


def coverage_penalty(attn_total: torch.Tensor, mask: torch.Tensor, beta: float) -> torch.Tensor:
    """GNMT's coverage penalty (Wu et al. 2016): beta · sum_i log(min(sum_t a_t,i, 1)) over the real source
    positions i. attn_total (..., S) attention summed over a hypothesis' steps, mask (..., S) True at real
    positions → (...), <= 0. A position never attended counts log(1e-6) instead of -inf, so hypotheses
    that miss one still rank among themselves."""
    covered = attn_total.clamp(min=COVERAGE_FLOOR, max=1.0).log().masked_fill(~mask, 0.0)
    return beta * covered.sum(-1)


@torch.no_grad()
def beam_search(model, src: torch.Tensor, src_lengths: torch.Tensor, max_len: torch.Tensor, beam_size: int = 5,
                n_best: int = 1, penalty: str = "none", alpha: float = 0.6, min_len: int = 0,
                no_repeat_ngram: int = 0, coverage_beta: float = 0.0, keep_greedy: bool = False,
                keep_attention: bool = True) -> SearchResult:
    """Batched beam search. A hypothesis that emits EOS stays in its beam slot with a frozen score (it can
    only extend with PAD at no cost), so with ``beam_size=1`` this is exactly greedy search. At the end the
    beams are ranked by score / length_penalty(length) + coverage_penalty(attention, coverage_beta) and the
    ``n_best`` first are returned, sorted, with that ranking score.

    ``keep_greedy``: the greedy hypothesis is never pruned (it takes the k-th slot when it falls out of the
    top k), so the best result never ranks below greedy search's output. Plain beam search can lose it to
    k prefixes that are better at that step and end worse (tests/unit/models/test_search.py has a counterexample)."""
    if beam_size == 1 and n_best == 1:
        return greedy_search(model, src, src_lengths, max_len, min_len, no_repeat_ngram, keep_attention)
    if n_best > beam_size:
        raise ValueError(f"n_best={n_best} cannot exceed beam_size={beam_size}")
    b, k, dev = src.size(0), beam_size, src.device
    source, state = model.encode(src, src_lengths)
    rows = torch.arange(b, device=dev).repeat_interleave(k)
    source, state = source.select(rows), state.select(rows)
    limit = max_len.repeat_interleave(k).view(b, k)
    scores = torch.full((b, k), float("-inf"), device=dev)
    scores[:, 0] = 0.0  # all beams start identical: keep one alive so the first step fans out
    tokens = torch.full((b * k,), BOS, dtype=torch.long, device=dev)
    finished = torch.zeros(b, k, dtype=torch.bool, device=dev)
    lengths = torch.zeros(b, k, dtype=torch.long, device=dev)
    history = _BeamHistory(b * k, int(max_len.max()), dev, no_repeat_ngram > 0, keep_attention)
    greedy_row = torch.zeros(b, dtype=torch.long, device=dev)  # the beam slot holding the greedy hypothesis
    for t in range(history.steps):
        logp, attn, state = model.step(tokens, state, source)
        if attn is None and coverage_beta:
            raise ValueError("decoding.coverage_penalty needs a model with attention (model.attention is none)")
        logp = constrain(logp, t, history.ngram_view(b * k), limit.view(-1), min_len, no_repeat_ngram)
        v = logp.size(-1)
        logp = logp.view(b, k, v)
        # Budget reached: only EOS allowed. Finished: only PAD, at no cost.
        forced = (t + 1 >= limit) & ~finished
        logp = torch.where(forced.unsqueeze(-1), _only(logp, EOS), logp)
        logp = torch.where(finished.unsqueeze(-1), _only(torch.zeros_like(logp), PAD), logp)
        cand = (scores.unsqueeze(-1) + logp).view(b, k * v)
        scores, flat = cand.topk(k, dim=-1)
        if keep_greedy:
            scores, flat, greedy_row = _keep_greedy(cand, scores, flat, logp, greedy_row)
        origin, tokens2d = flat // v, flat % v
        gather = (origin + torch.arange(b, device=dev).unsqueeze(1) * k).view(-1)
        state = state.select(gather)
        history.add(tokens2d.view(-1), gather, attn, ~finished.view(-1))
        was_finished = finished.gather(1, origin)
        lengths = lengths.gather(1, origin) + (~was_finished).long()
        finished = was_finished | (tokens2d == EOS)
        tokens = tokens2d.view(-1)
        if bool(finished.all()):
            break
    norm = scores / length_penalty(lengths, penalty, alpha)
    if coverage_beta:
        norm = norm + coverage_penalty(history.total, source.mask, coverage_beta).view(b, k)
    order = norm.argsort(dim=1, descending=True)[:, :n_best]
    best, attention = history.hypotheses(order + torch.arange(b, device=dev).unsqueeze(1) * k)
    return SearchResult(best, norm.gather(1, order), attention)


def _keep_greedy(cand: torch.Tensor, scores: torch.Tensor, flat: torch.Tensor, logp: torch.Tensor,
                 greedy_row: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Put the greedy continuation (the argmax of the greedy slot) into the selection if top-k dropped it,
    in the last slot (it scores below the other k, so the order stays sorted); return its new slot."""
    b, k, v = logp.shape
    rows = torch.arange(b, device=logp.device)
    greedy_flat = greedy_row * v + logp[rows, greedy_row].argmax(dim=-1)
    present = flat == greedy_flat.unsqueeze(1)
    missing = ~present.any(dim=1)
    flat = flat.clone()
    scores = scores.clone()
    flat[:, -1] = torch.where(missing, greedy_flat, flat[:, -1])
    scores[:, -1] = torch.where(missing, cand.gather(1, greedy_flat.unsqueeze(1)).squeeze(1), scores[:, -1])
    slot = torch.where(missing, torch.full_like(greedy_row, k - 1), present.long().argmax(dim=1))
    return scores, flat, slot


def _only(logp: torch.Tensor, token: int) -> torch.Tensor:
    """A distribution that puts all mass on ``token``, keeping ``logp``'s value there."""
    out = torch.full_like(logp, float("-inf"))
    out[..., token] = logp[..., token]
    return out
