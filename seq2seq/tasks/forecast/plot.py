"""Forecast-versus-truth figure logged to TensorBoard at every validation (matplotlib, Agg backend)."""

from __future__ import annotations

import numpy as np

from seq2seq.plots import plt  # selects the Agg backend


def forecast_figure(panels: list[dict], target: str, title: str = ""):
    """One subplot per window. Each panel: ``history`` (W,) the target over the input window, ``truth``,
    ``forecast``, ``naive`` and ``seasonal_naive`` (H,) over the horizon, ``label`` its name; all in the
    original units."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.4 * len(panels)), squeeze=False)
    for ax, p in zip(axes[:, 0], panels):
        w, h = len(p["history"]), len(p["truth"])
        past, future = np.arange(-w + 1, 1), np.arange(1, h + 1)
        ax.plot(past, p["history"], color="0.4", lw=1, label="input window")
        ax.plot(future, p["truth"], color="black", lw=1.5, label="truth")
        ax.plot(future, p["forecast"], color="tab:red", lw=1.5, label="forecast")
        ax.plot(future, p["naive"], color="tab:blue", lw=1, ls=":", label="naive")
        ax.plot(future, p["seasonal_naive"], color="tab:green", lw=1, ls="--", label="seasonal naive")
        ax.axvline(0.5, color="0.7", lw=0.8)
        ax.set_ylabel(target, fontsize=8)
        ax.set_title(p["label"], fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, ncol=5, loc="upper left")
    axes[-1, 0].set_xlabel("steps after the window's last row")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
