"""Corpus-level text metrics on detokenised strings (sacrebleu: the implementation papers quote)."""

from __future__ import annotations

import math

import sacrebleu


def distinct_n(hypotheses: list[str], n: int) -> float:
    """Distinct-n (Li et al. 2016): distinct n-grams / all n-grams over the whole output set, in white-space
    tokens (0-1; 0 when the outputs hold no n-gram). Low values mean dull, repetitive outputs."""
    grams = [tuple(toks[i : i + n]) for toks in (h.split() for h in hypotheses) for i in range(len(toks) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def text_metrics(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    """BLEU and chrF (0-100), exact match (%), distinct-1/-2 (0-1) and the average output length in
    white-space tokens, one reference per hypothesis."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    if not hypotheses:
        return {"bleu": 0.0, "chrf": 0.0, "exact_match": 0.0, "distinct_1": 0.0, "distinct_2": 0.0, "avg_len": 0.0}
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    exact = 100.0 * sum(h == r for h, r in zip(hypotheses, references)) / len(hypotheses)
    return {"bleu": bleu, "chrf": chrf, "exact_match": exact, "distinct_1": distinct_n(hypotheses, 1),
            "distinct_2": distinct_n(hypotheses, 2), "avg_len": sum(len(h.split()) for h in hypotheses) / len(hypotheses)}


def perplexity(mean_nll: float) -> float:
    return math.exp(min(mean_nll, 50.0))
