"""Deterministic train/valid/test splits."""

from __future__ import annotations

import random
from array import array

import numpy as np

from seq2seq.errors import ConfigError


def _count(size: float, total: int, name: str) -> int:
    """``size`` < 1 is a fraction of ``total``; ``size`` >= 1 is a number of examples."""
    if size < 0:
        raise ConfigError(f"data.{name}={size} must be >= 0 (a fraction below 1 or a count)")
    return int(round(size * total)) if size < 1 else int(size)


TRAIN, VALID, TEST = 0, 1, 2  # the labels of split_labels


def _cut(total: int, valid_size: float, test_size: float, seed: int) -> tuple[np.ndarray, int, int]:
    """``range(total)`` shuffled with ``random.Random(seed)``, and the test and valid counts taken from its front."""
    n_test = _count(test_size, total, "test_size")
    n_valid = _count(valid_size, total, "valid_size")
    if n_test + n_valid >= total:
        raise ConfigError(
            f"data.valid_size and data.test_size take {n_valid}+{n_test} of {total} examples, leaving no "
            "training data; lower them"
        )
    # An array('q') rather than a list: shuffle only swaps items, so the permutation is the same, at 8 bytes
    # an item instead of a Python int each (millions of pairs).
    order = array("q", range(total))
    random.Random(seed).shuffle(order)
    return np.frombuffer(order, dtype=np.int64), n_test, n_valid


def split_labels(total: int, valid_size: float, test_size: float, seed: int) -> np.ndarray:
    """TRAIN/VALID/TEST (int8) of each example: the split of ``split_indices`` as one compact array."""
    order, n_test, n_valid = _cut(total, valid_size, test_size, seed)
    labels = np.full(total, TRAIN, dtype=np.int8)
    labels[order[:n_test]] = TEST
    labels[order[n_test : n_test + n_valid]] = VALID
    return labels


def split_indices(total: int, valid_size: float, test_size: float, seed: int) -> dict[str, list[int]]:
    """Shuffle ``range(total)`` with ``random.Random(seed)`` and cut test, then valid, then train."""
    order, n_test, n_valid = _cut(total, valid_size, test_size, seed)
    return {
        "test": np.sort(order[:n_test]).tolist(),
        "valid": np.sort(order[n_test : n_test + n_valid]).tolist(),
        "train": np.sort(order[n_test + n_valid :]).tolist(),
    }
