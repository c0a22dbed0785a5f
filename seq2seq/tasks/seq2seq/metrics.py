"""Corpus-level text metrics on detokenised strings (sacrebleu: the implementation papers quote)."""

from __future__ import annotations

import math

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF


def distinct_n(hypotheses: list[str], n: int) -> float:
    """Distinct-n (Li et al. 2016): distinct n-grams / all n-grams over the whole output set, in white-space
    tokens (0-1; 0 when the outputs hold no n-gram). Low values mean dull, repetitive outputs."""
    grams = [tuple(toks[i : i + n]) for toks in (h.split() for h in hypotheses) for i in range(len(toks) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


TEXT_METRICS = ("bleu", "bleu_1", "bleu_2", "chrf", "exact_match", "distinct_1", "distinct_2", "avg_len")


def text_metrics(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    """BLEU(-4), BLEU-1, BLEU-2 and chrF (0-100), exact match (%), distinct-1/-2 (0-1) and the average output
    length in white-space tokens, one reference per hypothesis. BLEU-n is sacrebleu's corpus BLEU with
    ``max_ngram_order=n`` (geometric mean of the 1..n-gram precisions, brevity penalty): the BLEU-1/2 that
    dialog papers quote, at corpus level (PLATO averages NLTK's smoothed sentence BLEU instead)."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    if not hypotheses:
        return dict.fromkeys(TEXT_METRICS, 0.0)
    bleu = {name: BLEU(max_ngram_order=n).corpus_score(hypotheses, [references]).score for name, n in _BLEU_ORDERS}
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    exact = 100.0 * sum(h == r for h, r in zip(hypotheses, references)) / len(hypotheses)
    return {**bleu, "chrf": chrf, "exact_match": exact, "distinct_1": distinct_n(hypotheses, 1),
            "distinct_2": distinct_n(hypotheses, 2), "avg_len": sum(len(h.split()) for h in hypotheses) / len(hypotheses)}


_BLEU_ORDERS = (("bleu", 4), ("bleu_1", 1), ("bleu_2", 2))


def scorer_signatures() -> dict[str, str]:
    """sacrebleu's signature of each score ``text_metrics`` computes, as papers print them so that a reader
    can tell which scorer and settings produced a number (sacrebleu's BLEU signature omits the n-gram
    order, so it is appended)."""
    one = (["a"], [["a"]])
    signatures = {}
    for name, n in _BLEU_ORDERS:
        scorer = BLEU(max_ngram_order=n)
        scorer.corpus_score(*one)  # the signature names the reference count, known only after a call
        signatures[name] = str(scorer.get_signature()) + ("" if n == 4 else f"|ngram:{n}")
    chrf = CHRF()
    chrf.corpus_score(*one)
    signatures["chrf"] = str(chrf.get_signature())
    return signatures


def perplexity(mean_nll: float) -> float:
    return math.exp(min(mean_nll, 50.0))
