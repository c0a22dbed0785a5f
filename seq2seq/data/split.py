"""Deterministic, leak-free train/valid/test splits.

A seeded split shuffles *groups* of examples, not examples, so that examples a model could recognise from
training never reach valid/test: every example lands in the split of its group. What a group is depends on
the reader (translation: one normalised source sentence; dialogs: dialogs that share a pair; classification:
one normalised text; NER: one token sequence). Exact copies of an example (the whole example: source and
target, text and label ...) stay in training as the corpus has them, but valid/test keep one copy, so each
distinct example counts once in the metrics; ``valid_size``/``test_size`` count distinct examples.

With no repeated keys every group is one example and the split is the plain seeded shuffle of examples
(the same split as before grouping existed).
"""

from __future__ import annotations

import hashlib
import logging
import random
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from seq2seq.errors import ConfigError, DataError

log = logging.getLogger(__name__)

TRAIN, VALID, TEST = 0, 1, 2  # the labels of split_labels, in the order of NAMES
DUPLICATE = 3  # a repeated copy of a valid/test example: in no split
NAMES = ("train", "valid", "test")


def _count(size: float, total: int, name: str) -> int:
    """``size`` < 1 is a fraction of ``total``; ``size`` >= 1 is a number of examples."""
    if size < 0:
        raise ConfigError(f"data.{name}={size} must be >= 0 (a fraction below 1 or a count)")
    return round(size * total) if size < 1 else int(size)


def key_hash(*fields: str) -> int:
    """A stable 64-bit hash of an example's key (the same in every process, unlike ``hash``)."""
    data = "\x1f".join(fields).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def key_hashes(*columns: Iterable[str]) -> np.ndarray:
    """``key_hash`` of each row of aligned text columns, as int64 (N,)."""
    return np.fromiter((key_hash(*row) for row in zip(*columns)), dtype=np.int64)


def _by_first_occurrence(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(id of each value's class, numbered 0.. in order of first occurrence; index of each class's first)."""
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    order = np.argsort(first, kind="stable")
    rank[order] = np.arange(len(first))
    return rank[inverse.reshape(-1)], first[order]


def first_copies(keys: np.ndarray) -> np.ndarray:
    """(N,) bool: True where a key occurs for the first time."""
    distinct = np.zeros(len(keys), dtype=bool)
    distinct[_by_first_occurrence(keys)[1]] = True
    return distinct


@dataclass
class Grouping:
    """What a seeded split must keep together. ``groups`` (N,) int64: the group of each example, numbered in
    order of first occurrence; ``distinct`` (N,) bool: the first copy of each exact example."""

    groups: np.ndarray
    distinct: np.ndarray

    @classmethod
    def singletons(cls, total: int) -> Grouping:
        return cls(np.arange(total, dtype=np.int64), np.ones(total, dtype=bool))

    @classmethod
    def from_hashes(cls, group_keys: np.ndarray, example_keys: np.ndarray) -> Grouping:
        """Examples with equal ``group_keys`` form a group; equal ``example_keys`` are copies."""
        return cls(_by_first_occurrence(group_keys)[0], first_copies(example_keys))

    @property
    def n_groups(self) -> int:
        return int(self.groups.max()) + 1 if len(self.groups) else 0

    def sizes(self) -> np.ndarray:
        """Distinct examples per group (what valid_size/test_size count)."""
        return np.bincount(self.groups, weights=self.distinct, minlength=self.n_groups).astype(np.int64)

    def labels(self, group_label: np.ndarray) -> np.ndarray:
        """Each example's split from its group's; repeated copies in valid/test become DUPLICATE."""
        labels = group_label[self.groups].astype(np.int8)
        labels[(labels != TRAIN) & ~self.distinct] = DUPLICATE
        return labels


def linked_groups(units: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Groups of ``units`` (e.g. the dialog of each pair) joined whenever two units share a key (an identical
    pair): the group of each example, numbered in order of first occurrence."""
    parent = list(range(int(units.max()) + 1 if len(units) else 0))

    def root(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    owner: dict[int, int] = {}
    for unit, key in zip(units.tolist(), keys.tolist()):
        a, b = root(unit), root(owner.setdefault(key, unit))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return _by_first_occurrence(np.array([root(u) for u in units.tolist()], dtype=np.int64))[0]


def sizes_to_take(total: int, valid_size: float, test_size: float) -> tuple[int, int]:
    """(test, valid) counts of distinct examples; at least one must be left for training."""
    n_test, n_valid = _count(test_size, total, "test_size"), _count(valid_size, total, "valid_size")
    if n_test + n_valid >= total:
        raise ConfigError(f"data.valid_size and data.test_size take {n_valid}+{n_test} of {total} examples, "
                          "leaving no training data; lower them")
    return n_test, n_valid


def assign_groups(order: np.ndarray, sizes: np.ndarray, n_test: int, n_valid: int, group_label: np.ndarray) -> None:
    """Walk the groups in ``order``: those starting before ``n_test`` examples go to test, the next ones
    starting before ``n_valid`` more to valid (a group is never cut, so a split may overshoot by a group)."""
    s = sizes[order]
    start = np.cumsum(s) - s
    k_test = int(np.searchsorted(start, n_test, "left"))
    t_end = int(s[:k_test].sum())
    k_valid = max(k_test, int(np.searchsorted(start, t_end + n_valid, "left")))
    group_label[order[:k_test]] = TEST
    group_label[order[k_test:k_valid]] = VALID


def shuffled(total: int, seed: int) -> np.ndarray:
    """``range(total)`` shuffled with ``random.Random(seed)``."""
    # An array('q') rather than a list: shuffle only swaps items, so the permutation is the same, at 8 bytes
    # an item instead of a Python int each (millions of pairs).
    order = array("q", range(total))
    random.Random(seed).shuffle(order)
    return np.frombuffer(order, dtype=np.int64)


def check_training_left(labels: np.ndarray) -> np.ndarray:
    if len(labels) and not (labels == TRAIN).any():
        raise DataError("the groups of identical examples put every example into valid/test, leaving no "
                        "training data; lower data.valid_size / data.test_size")
    return labels


def split_labels(total: int, valid_size: float, test_size: float, seed: int,
                 grouping: Grouping | None = None) -> np.ndarray:
    """TRAIN/VALID/TEST/DUPLICATE (int8) of each of ``total`` examples: the groups shuffled with
    ``random.Random(seed)``, test cut first, then valid, the rest train."""
    grouping = grouping if grouping is not None else Grouping.singletons(total)
    n_test, n_valid = sizes_to_take(int(grouping.distinct.sum()), valid_size, test_size)
    group_label = np.full(grouping.n_groups, TRAIN, dtype=np.int8)
    assign_groups(shuffled(grouping.n_groups, seed), grouping.sizes(), n_test, n_valid, group_label)
    return check_training_left(grouping.labels(group_label))


def indices_of(labels: np.ndarray) -> dict[str, list[int]]:
    """The sorted example indices of each split (DUPLICATE copies are in none)."""
    return {name: np.flatnonzero(labels == k).tolist() for k, name in enumerate(NAMES)}


def split_indices(total: int, valid_size: float, test_size: float, seed: int,
                  grouping: Grouping | None = None) -> dict[str, list[int]]:
    """``split_labels`` as sorted index lists per split."""
    return indices_of(split_labels(total, valid_size, test_size, seed, grouping))


def log_split(where: str, labels: np.ndarray, grouping: Grouping, unit: str, groups: str) -> None:
    """One line: how many examples, in how many groups, how many repeats were kept together or left out."""
    total, n = len(labels), np.bincount(labels, minlength=4)
    joined, repeats = total - grouping.n_groups, total - int(grouping.distinct.sum())
    log.info("%s: seeded split of %s %s in %s %s; %s %s go with an earlier one's group; %s %s are exact "
             "repeats, kept with their first copy's split, %s of them left out of valid/test (each distinct "
             "example counts once there): train %s / valid %s / test %s", where, f"{total:,}", unit,
             f"{grouping.n_groups:,}", groups, f"{joined:,}", unit, f"{repeats:,}", unit, f"{n[DUPLICATE]:,}",
             f"{n[TRAIN]:,}", f"{n[VALID]:,}", f"{n[TEST]:,}")


def log_overlap(name: str, path: str, in_training: int, total: int, unit: str, what: str) -> None:
    """Warn that an explicit split file shares examples with the training data (they are kept)."""
    if in_training:
        log.warning("%s (%s): %s of %s %s (%.1f%%) have %s that also occurs in the training data; kept as "
                    "given (explicit split files are used unchanged, see README 'Splits')", name, path,
                    f"{in_training:,}", f"{total:,}", unit, 100 * in_training / max(total, 1), what)
