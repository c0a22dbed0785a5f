"""Classification metrics from a confusion matrix (the same numbers as scikit-learn), and its figure."""

from __future__ import annotations

import re

import numpy as np

import seq2seq.plots  # noqa: F401  (selects matplotlib's off-screen Agg backend before pyplot loads)


def confusion_matrix(gold: np.ndarray, pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, C) int64 counts: row = gold class, column = predicted class."""
    gold, pred = np.asarray(gold, dtype=np.int64), np.asarray(pred, dtype=np.int64)
    if gold.shape != pred.shape:
        raise ValueError(f"{gold.shape} gold labels for {pred.shape} predictions")
    return np.bincount(gold * num_classes + pred, minlength=num_classes * num_classes).reshape(num_classes,
                                                                                            num_classes)


def f1_per_class(cm: np.ndarray) -> np.ndarray:
    """(C,) F1 = 2·TP / (2·TP + FP + FN) per class; 0 for a class never in gold nor predicted."""
    tp = np.diag(cm).astype(np.float64)
    denominator = cm.sum(axis=0) + cm.sum(axis=1)  # = 2·TP + FP + FN
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def classification_metrics(gold: np.ndarray, pred: np.ndarray, labels: list[str]) -> dict[str, float]:
    """``accuracy`` and ``macro_f1`` in percent, and ``f1_<label>`` per class.

    Macro-F1 is the unweighted mean over the classes that occur in the gold labels or the predictions
    (scikit-learn's ``f1_score(average="macro")`` without ``labels=``); 0 for no examples.
    """
    cm = confusion_matrix(gold, pred, len(labels))
    total = cm.sum()
    f1 = f1_per_class(cm)
    present = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    out = {"accuracy": 100.0 * np.trace(cm) / total if total else 0.0,
           "macro_f1": 100.0 * float(f1[present].mean()) if present.any() else 0.0}
    for name, value in zip(labels, f1):
        out[f"f1_{metric_name(name)}"] = 100.0 * float(value)
    return {k: float(v) for k, v in out.items()}


def metric_name(label: str) -> str:
    """A label as a metric-name suffix: letters, digits, ``-`` and ``_`` kept, anything else ``_``."""
    return re.sub(r"[^\w-]", "_", label)


def confusion_figure(cm: np.ndarray, labels: list[str], title: str = ""):
    """A heatmap of ``cm`` (rows gold, columns predicted) coloured by row share, each cell showing its count."""
    import matplotlib.pyplot as plt

    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = max(3.0, 0.6 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    ticks = range(len(labels))
    ax.set_xticks(ticks, labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, labels, fontsize=8)
    if len(labels) <= 30:
        for (row, col), count in np.ndenumerate(cm):
            ax.text(col, row, str(count), ha="center", va="center", fontsize=7,
                    color="white" if share[row, col] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the gold class")
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig
