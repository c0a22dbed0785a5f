"""Corpus-level text metrics on detokenised strings (sacrebleu: the implementation papers quote)."""

from __future__ import annotations

import math

import sacrebleu


def text_metrics(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    """BLEU and chrF (0-100) and exact match (%), one reference per hypothesis."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    if not hypotheses:
        return {"bleu": 0.0, "chrf": 0.0, "exact_match": 0.0}
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    exact = 100.0 * sum(h == r for h, r in zip(hypotheses, references)) / len(hypotheses)
    return {"bleu": bleu, "chrf": chrf, "exact_match": exact}


def perplexity(mean_nll: float) -> float:
    return math.exp(min(mean_nll, 50.0))
