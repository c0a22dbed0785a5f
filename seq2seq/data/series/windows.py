"""Time-ordered splits, forecast windows and per-column scaling: the parts that decide what a model may
see. Every function here is about row indices, so the no-look-ahead rules can be tested on them directly.

A window starting at row ``s`` reads input rows ``[s, s + window)`` and predicts target rows
``[s + window, s + window + horizon)``. A window belongs to the split that holds all of its target rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seq2seq.errors import ConfigError

SPLITS = ("train", "valid", "test")
SCALERS = ("standard", "minmax", "none")


def _rows(size: float, total: int, name: str) -> int:
    """``size`` < 1 is a fraction of ``total`` rows; ``size`` >= 1 is a number of rows."""
    if size < 0:
        raise ConfigError(f"data.{name}={size} must be >= 0 (a fraction below 1 or a number of rows)")
    return round(size * total) if size < 1 else int(size)


def split_bounds(total: int, train_size: float | None, valid_size: float,
                 test_size: float) -> dict[str, tuple[int, int]]:
    """Row ranges ``[start, end)`` of train | valid | test, consecutive from row 0 in time order. With
    ``train_size=None`` training takes every row before the validation part; otherwise rows after the test
    part are left unused."""
    n_valid, n_test = _rows(valid_size, total, "valid_size"), _rows(test_size, total, "test_size")
    n_train = total - n_valid - n_test if train_size is None else _rows(train_size, total, "train_size")
    if min(n_train, n_valid, n_test) <= 0 or n_train + n_valid + n_test > total:
        raise ConfigError(f"data.train_size/valid_size/test_size give {n_train}/{n_valid}/{n_test} rows of the "
                          f"{total} in the file; each split needs rows and together at most {total}")
    return {"train": (0, n_train), "valid": (n_train, n_train + n_valid),
            "test": (n_train + n_valid, n_train + n_valid + n_test)}


def window_starts(bounds: tuple[int, int], window: int, horizon: int, stride: int, context: bool) -> np.ndarray:
    """First input row of every window whose ``horizon`` target rows lie inside ``bounds``, every ``stride``
    rows from the earliest. With ``context`` the inputs may come from rows before the split (they are
    earlier in time, so nothing leaks); without it the whole window is inside. (N,) int64."""
    start, end = bounds
    first = max(0, start - window) if context else start
    last = end - window - horizon  # the window whose last target is the split's last row
    if last < first:
        return np.zeros(0, dtype=np.int64)
    return np.arange(first, last + 1, stride, dtype=np.int64)


def window_indices(starts: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of every window's inputs (N, window) and targets (N, horizon)."""
    starts = np.asarray(starts, dtype=np.int64)[:, None]
    return starts + np.arange(window), starts + window + np.arange(horizon)


@dataclass
class Scaler:
    """Per-column affine scaling ``(x - center) / scale``: ``standard`` (mean, standard deviation),
    ``minmax`` (minimum, range: training rows map to [0, 1]) or ``none``. Plain lists, so the statistics
    travel in a checkpoint. A constant column gets scale 1."""

    kind: str
    center: list[float]
    scale: list[float]

    @classmethod
    def fit(cls, kind: str, values: np.ndarray) -> Scaler:
        """values (N, C): the training rows only."""
        if kind not in SCALERS:
            raise ConfigError(f"data.scaler={kind!r}; choose one of {SCALERS}")
        if kind == "standard":
            center, scale = values.mean(axis=0), values.std(axis=0)
        elif kind == "minmax":
            center, scale = values.min(axis=0), values.max(axis=0) - values.min(axis=0)
        else:
            center, scale = np.zeros(values.shape[1]), np.ones(values.shape[1])
        scale = np.where(scale > 1e-12, scale, 1.0)
        return cls(kind, [float(v) for v in center], [float(v) for v in scale])

    def transform(self, values: np.ndarray) -> np.ndarray:
        """(…, C) → (…, C) scaled."""
        return (values - np.asarray(self.center)) / np.asarray(self.scale)

    def inverse(self, scaled: np.ndarray, columns: list[int]) -> np.ndarray:
        """(…, len(columns)) scaled values of the given columns → original units."""
        return scaled * np.asarray(self.scale)[columns] + np.asarray(self.center)[columns]

    def state(self) -> dict:
        return {"kind": self.kind, "center": list(self.center), "scale": list(self.scale)}

    @classmethod
    def from_state(cls, state: dict) -> Scaler:
        return cls(state["kind"], list(state["center"]), list(state["scale"]))
