"""Deterministic train/valid/test splits."""

from __future__ import annotations

import random

from seq2seq.errors import ConfigError


def _count(size: float, total: int, name: str) -> int:
    """``size`` < 1 is a fraction of ``total``; ``size`` >= 1 is a number of examples."""
    if size < 0:
        raise ConfigError(f"data.{name}={size} must be >= 0 (a fraction below 1 or a count)")
    return int(round(size * total)) if size < 1 else int(size)


def split_indices(total: int, valid_size: float, test_size: float, seed: int) -> dict[str, list[int]]:
    """Shuffle ``range(total)`` with ``random.Random(seed)`` and cut test, then valid, then train."""
    n_test = _count(test_size, total, "test_size")
    n_valid = _count(valid_size, total, "valid_size")
    if n_test + n_valid >= total:
        raise ConfigError(
            f"data.valid_size and data.test_size take {n_valid}+{n_test} of {total} examples, leaving no "
            "training data; lower them"
        )
    order = list(range(total))
    random.Random(seed).shuffle(order)
    return {
        "test": sorted(order[:n_test]),
        "valid": sorted(order[n_test : n_test + n_valid]),
        "train": sorted(order[n_test + n_valid :]),
    }
