"""Figures logged to TensorBoard (rendered off-screen with matplotlib's Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def attention_figure(weights: np.ndarray, src_tokens: list[str], out_tokens: list[str], title: str = ""):
    """weights (T_out, S): one row per output token, one column per source token."""
    weights = weights[: len(out_tokens), : len(src_tokens)]
    fig, ax = plt.subplots(figsize=(max(4, 0.28 * len(src_tokens) + 2), max(3, 0.28 * len(out_tokens) + 1.5)))
    ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(src_tokens)), [t.replace(" ", "␣") for t in src_tokens], rotation=90, fontsize=7)
    ax.set_yticks(range(len(out_tokens)), [t.replace(" ", "␣") for t in out_tokens], fontsize=7)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig
