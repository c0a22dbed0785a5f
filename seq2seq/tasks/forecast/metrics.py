"""Forecast errors in the original units, and the two baselines every forecast is compared with.

Arrays are (N, H, T): N windows, H horizon steps, T targets. ``series`` arrays are (R, T): the target
columns of every row of the file, unscaled; ``starts`` (N,) the first input row of each window.
"""

from __future__ import annotations

import numpy as np


def error_metrics(forecast: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and sMAPE (percent, 0–200; a step where both values are 0 counts as 0) over every
    window, step and target."""
    if forecast.shape != truth.shape:
        raise ValueError(f"forecast {forecast.shape} and truth {truth.shape} differ")
    if forecast.size == 0:
        return {"mae": float("nan"), "rmse": float("nan"), "smape": float("nan")}
    diff = np.abs(forecast - truth)
    denom = np.abs(forecast) + np.abs(truth)
    smape = np.divide(2.0 * diff, denom, out=np.zeros_like(diff), where=denom > 0)
    return {"mae": float(diff.mean()), "rmse": float(np.sqrt((diff**2).mean())),
            "smape": float(100 * smape.mean())}


def z_metrics(forecast: np.ndarray, truth: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    """MSE and MAE of the errors divided by each target's training standard deviation ``scale`` (T,): the
    units of the long-horizon forecasting papers (LTSF-Linear, Informer), which score z-normalised values
    (the training mean cancels in the difference)."""
    diff = (forecast - truth) / np.asarray(scale, dtype=float)
    if diff.size == 0:
        return {"mse_z": float("nan"), "mae_z": float("nan")}
    return {"mse_z": float((diff**2).mean()), "mae_z": float(np.abs(diff).mean())}


def target_scale(spec: dict) -> np.ndarray | None:
    """Each target's training standard deviation (for ``mse_z``/``mae_z``); None unless data.scaler=standard."""
    scaler = spec["scaler"]
    return np.asarray(scaler["scale"])[spec["target_index"]] if scaler["kind"] == "standard" else None


def window_targets(series: np.ndarray, starts: np.ndarray, window: int, horizon: int) -> np.ndarray:
    """The true values each window predicts: rows ``start + window + h``. (N, H, T)."""
    rows = np.asarray(starts)[:, None] + window + np.arange(horizon)
    return series[rows]


def naive_forecast(series: np.ndarray, starts: np.ndarray, window: int, horizon: int) -> np.ndarray:
    """The last value of the input window, repeated over the horizon. (N, H, T)."""
    last = series[np.asarray(starts) + window - 1]
    return np.repeat(last[:, None, :], horizon, axis=1)


def seasonal_naive_forecast(series: np.ndarray, starts: np.ndarray, window: int, horizon: int,
                            season: int) -> np.ndarray:
    """The value one ``season`` before each target step, taken from the input window: step h (0-based)
    gets row ``start + window - season + (h mod season)``, i.e. the last observed season repeated, so
    steps beyond one season never read the future. Needs ``season <= window``. (N, H, T)."""
    if not 1 <= season <= window:
        raise ValueError(f"season={season} must be between 1 and window={window}")
    rows = np.asarray(starts)[:, None] + window - season + np.arange(horizon) % season
    return series[rows]


def baseline_report(forecast: np.ndarray, series: np.ndarray, starts: np.ndarray, window: int, horizon: int,
                    season: int, targets: list[str] | None = None,
                    scale: np.ndarray | None = None) -> dict[str, float]:
    """``mae``, ``rmse``, ``smape`` of ``forecast`` and of both baselines (``mae_naive``,
    ``mae_seasonal_naive``, ...) on the same windows, averaged over all targets. With ``scale`` (each
    target's training standard deviation) also ``mse_z`` and ``mae_z`` (``z_metrics``) for all three. With
    several ``targets`` (names), also each target's MAE: ``mae_<name>``, ``mae_naive_<name>``, ..."""
    truth = window_targets(series, starts, window, horizon)
    runs = {"": forecast, "_naive": naive_forecast(series, starts, window, horizon),
            "_seasonal_naive": seasonal_naive_forecast(series, starts, window, horizon, season)}
    out = {}
    for suffix, values in runs.items():
        out.update({f"{k}{suffix}": v for k, v in error_metrics(values, truth).items()})
        if scale is not None:
            out.update({f"{k}{suffix}": v for k, v in z_metrics(values, truth, scale).items()})
    if targets and len(targets) > 1:
        for suffix, values in runs.items():
            for k, name in enumerate(targets):
                out[f"mae{suffix}_{name}"] = error_metrics(values[..., k], truth[..., k])["mae"]
    return out
