"""Random sampling decoders: temperature, top-k and nucleus (top-p), batched on the device."""

from __future__ import annotations

import torch

from seq2seq.models.search import SearchResult, decode_one_per_row


def filter_logits(logp: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """Scaled log-probabilities (B, V) with everything outside top-k / the top-p nucleus set to -inf.
    temperature → 0 leaves only the argmax (greedy)."""
    if temperature <= 1e-6:
        best = logp.argmax(dim=-1, keepdim=True)
        return torch.full_like(logp, float("-inf")).scatter(1, best, 0.0)
    logits = logp / temperature
    if 0 < top_k < logits.size(-1):
        kth = logits.topk(top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if 0.0 < top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # Drop a token when the mass strictly before it already reaches top_p (the first always stays).
        drop = (probs.cumsum(dim=-1) - probs) >= top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(1, order, sorted_logits)
    return logits


@torch.no_grad()
def sample(model, src: torch.Tensor, src_lengths: torch.Tensor, max_len: torch.Tensor, temperature: float = 1.0,
           top_k: int = 0, top_p: float = 1.0, generator: torch.Generator | None = None, min_len: int = 0,
           no_repeat_ngram: int = 0, keep_attention: bool = True) -> SearchResult:
    """Draw one output per source. ``scores`` are the model's log-probabilities of the drawn tokens."""
    def draw(logp: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(filter_logits(logp, temperature, top_k, top_p), dim=-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)

    return decode_one_per_row(model, src, src_lengths, max_len, draw, min_len, no_repeat_ngram, keep_attention)
