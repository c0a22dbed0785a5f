"""Tagging metrics: entity-level precision/recall/F1 (micro and per type) with seqeval in its default mode,
which scores chunks exactly as conlleval does; token accuracy; a tag confusion matrix and its figure."""

from __future__ import annotations

import numpy as np
from seqeval.metrics.sequence_labeling import get_entities, precision_recall_fscore_support

from seq2seq.plots import plt


def entity_metrics(gold: list[list[str]], pred: list[list[str]]) -> dict[str, float]:
    """``precision``, ``recall``, ``f1`` (micro over entities, 0-100), ``accuracy`` (tokens, 0-100) and
    ``f1_<TYPE>`` / ``precision_<TYPE>`` / ``recall_<TYPE>`` per entity type present in gold or prediction."""
    if len(gold) != len(pred) or any(len(g) != len(p) for g, p in zip(gold, pred)):
        raise ValueError("gold and predicted tags must have the same sentences and lengths")
    tokens = sum(len(g) for g in gold)
    correct = sum(a == b for g, p in zip(gold, pred) for a, b in zip(g, p))
    out = {"accuracy": 100.0 * correct / max(tokens, 1)}
    if not any(get_entities(g) or get_entities(p) for g, p in zip(gold, pred)):
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0, **out}
    p, r, f, _ = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0)
    out.update(precision=100.0 * p, recall=100.0 * r, f1=100.0 * f)
    types = sorted({t for seq in (*gold, *pred) for t, _, _ in get_entities(seq)})
    ps, rs, fs, _ = precision_recall_fscore_support(gold, pred, average=None, zero_division=0)
    for kind, pk, rk, fk in zip(types, ps, rs, fs):
        out.update({f"f1_{kind}": 100.0 * fk, f"precision_{kind}": 100.0 * pk, f"recall_{kind}": 100.0 * rk})
    return out


def confusion_counts(gold: list[list[int]], pred: list[list[int]], num_tags: int) -> np.ndarray:
    """(K, K) counts: row = gold tag id, column = predicted tag id."""
    g = np.fromiter((t for s in gold for t in s), dtype=np.int64)
    p = np.fromiter((t for s in pred for t in s), dtype=np.int64)
    return np.bincount(g * num_tags + p, minlength=num_tags * num_tags).reshape(num_tags, num_tags)


def tag_confusion(gold: list[list[str]], pred: list[list[str]]) -> tuple[np.ndarray, list[str]]:
    """Confusion counts over tag strings (row = gold) and the tag order: ``O``, then by type and prefix."""
    seen = {t for seq in (*gold, *pred) for t in seq} - {"O"}
    labels = ["O"] + sorted(seen, key=lambda t: (t.partition("-")[2], t))
    index = {t: i for i, t in enumerate(labels)}
    ids = [[index[t] for t in seq] for seq in gold], [[index[t] for t in seq] for seq in pred]
    return confusion_counts(*ids, len(labels)), labels


def confusion_figure(counts: np.ndarray, tags: list[str], title: str = ""):
    """Row-normalised confusion matrix (each gold tag's row sums to 1), counts written in the cells."""
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.45 * len(tags) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(rates, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(tags)), tags, rotation=90, fontsize=7)
    ax.set_yticks(range(len(tags)), tags, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i, j in zip(*np.nonzero(counts)):
        ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=5,
                color="white" if rates[i, j] > 0.5 else "black")
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig
