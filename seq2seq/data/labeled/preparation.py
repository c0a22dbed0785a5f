"""Labelled text for classification: read → split (stratified or not) → label vocabulary from the training
split → fit the tokenizer on the training texts → encode (truncated to ``max_len``).

Everything is a plain function of the config, so DDP ranks and the evaluate/predict CLIs see the same
splits, label ids and token ids.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import numpy as np
import torch

from seq2seq.data.cache import cache_key, load_or_build
from seq2seq.data.labeled.reader import LabeledRows, read_labeled
from seq2seq.data.ragged import Ragged
from seq2seq.data.split import (
    DUPLICATE,
    NAMES,
    TRAIN,
    Grouping,
    assign_groups,
    check_training_left,
    indices_of,
    key_hashes,
    log_overlap,
    log_split,
    sizes_to_take,
    split_indices,
)
from seq2seq.errors import ConfigError, DataError
from seq2seq.tokenizers import UNK, Tokenizer, build_tokenizer, side_configs, tokenizer_from_state

log = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")
# Data settings that change only how batches are drawn, not the prepared arrays.
LOADER_KEYS = {"batch_size", "eval_batch_size", "batch_by", "bucket", "num_workers", "pin_memory", "cache"}


def check_data_config(data: dict) -> None:
    """Relations between ``data`` keys that the schema cannot express; raises a one-line ``ConfigError``."""
    for key in ("text_col", "label_col"):
        col = data[key]
        if isinstance(col, int) and col < 0:
            raise ConfigError(f"data.{key}={col} must be a column index >= 0 or a column name")
        if isinstance(col, str) and not data["header"]:
            raise ConfigError(f"data.{key}={col!r} names a column, which needs data.header=true")
    if data["text_col"] == data["label_col"]:
        raise ConfigError(f"data.text_col and data.label_col are the same column ({data['text_col']!r})")
    if data["max_len"] is not None and data["max_len"] < 1:
        raise ConfigError(f"data.max_len={data['max_len']} must be >= 1 (or null: no limit)")


def read_rows(data: dict, path: str) -> LabeledRows:
    rows, report = read_labeled(data, path)
    log.info(report.summary())
    return rows


def _apportion(take: int, sizes: list[int]) -> list[int]:
    """Split ``take`` over groups in proportion to ``sizes`` (largest remainder; ties to the first group)."""
    total = sum(sizes)
    exact = [take * s / total for s in sizes]
    out = [int(e) for e in exact]
    by_remainder = sorted(range(len(sizes)), key=lambda i: (out[i] - exact[i], i))
    for i in by_remainder[: take - sum(out)]:
        out[i] += 1
    return out


def stratified_split_indices(labels: list[str], valid_size: float, test_size: float, seed: int,
                             grouping: Grouping | None = None) -> dict[str, list[int]]:
    """Like ``split_indices``, but every label keeps its share of the examples in valid and test: the groups
    of each label (a group's label is its first example's) are shuffled with ``Random(seed)``, label by label
    in sorted order, and valid/test counts are apportioned to labels by largest remainder."""
    grouping = grouping if grouping is not None else Grouping.singletons(len(labels))
    n_test, n_valid = sizes_to_take(int(grouping.distinct.sum()), valid_size, test_size)
    _, first = np.unique(grouping.groups, return_index=True)  # groups are numbered by first occurrence
    by_label: dict[str, list[int]] = {}
    for group, i in enumerate(first.tolist()):
        by_label.setdefault(labels[i], []).append(group)
    names = sorted(by_label)
    rng = random.Random(seed)
    for name in names:
        rng.shuffle(by_label[name])
    sizes = grouping.sizes()
    label_sizes = [int(sizes[by_label[n]].sum()) for n in names]
    tests = _apportion(n_test, label_sizes)
    valids = _apportion(n_valid, [s - t for s, t in zip(label_sizes, tests)])
    group_label = np.full(grouping.n_groups, TRAIN, dtype=np.int8)
    for name, t, v in zip(names, tests, valids):
        assign_groups(np.array(by_label[name], dtype=np.int64), sizes, t, v, group_label)
    return indices_of(check_training_left(grouping.labels(group_label)))


def text_grouping(rows: LabeledRows) -> Grouping:
    """Classification examples are grouped by their normalised text, whatever the label: the same text in
    training and test is a leak even when its labels differ; identical (text, label) rows are copies."""
    return Grouping.from_hashes(key_hashes(rows.texts), key_hashes(rows.texts, rows.labels))


def read_raw_splits(data: dict) -> dict[str, LabeledRows]:
    """train/valid/test rows: ``valid_path``/``test_path`` where given; the others are cut from ``path``
    (its first ``limit`` rows when set) by a seeded, optionally stratified, split."""
    rows = read_rows(data, data["path"])
    if data["limit"]:
        rows = rows.select(list(range(min(data["limit"], len(rows)))))
    files = {name: data[f"{name}_path"] for name in ("valid", "test")}
    sizes = {name: 0 if files[name] else data[f"{name}_size"] for name in files}
    if sizes["valid"] or sizes["test"]:
        cut = stratified_split_indices if data["stratify"] else _plain_split
        grouping = text_grouping(rows)
        parts = cut(rows.labels, sizes["valid"], sizes["test"], data["split_seed"], grouping)
        log_split(rows.path, _labels_of(parts, len(rows)), grouping, "examples", "groups of one text")
    else:
        parts = {"train": list(range(len(rows))), "valid": [], "test": []}
    out = {name: rows.select(idx) for name, idx in parts.items()}
    train_keys = key_hashes(out["train"].texts)
    for name, path in files.items():
        if path:
            out[name] = read_rows(data, path)
            keys = key_hashes(out[name].texts)
            log_overlap(name, path, int(np.isin(keys, train_keys).sum()), len(keys), "examples", "a text")
    return {name: out[name] for name in SPLITS}


def _plain_split(labels: list[str], valid_size: float, test_size: float, seed: int,
                 grouping: Grouping) -> dict[str, list[int]]:
    return split_indices(len(labels), valid_size, test_size, seed, grouping)


def _labels_of(parts: dict[str, list[int]], total: int) -> np.ndarray:
    """The split label of each example (DUPLICATE: in none), from index lists."""
    labels = np.full(total, DUPLICATE, dtype=np.int8)
    for k, name in enumerate(NAMES):
        labels[parts[name]] = k
    return labels


def label_vocabulary(train_labels: list[str]) -> list[str]:
    """The sorted label names of the training split (numbers in numeric order, before other names)."""
    names = set(train_labels)
    if len(names) < 2:
        raise DataError(f"the training split has {len(names)} distinct label(s) ({', '.join(names)}); "
                        "classification needs at least 2: check data.label_col")
    return sorted(names, key=lambda s: (0, int(s), "") if s.lstrip("-").isdecimal() else (1, 0, s))


def label_ids(rows: LabeledRows, labels: list[str], unknown: str, name: str) -> tuple[LabeledRows, np.ndarray]:
    """Rows whose label is in ``labels`` and their label ids. A label outside the vocabulary raises a
    ``DataError`` naming file:line, or (``unknown="skip"``) the row is dropped and counted in the log."""
    index = {label: i for i, label in enumerate(labels)}
    keep = [i for i, label in enumerate(rows.labels) if label in index]
    if len(keep) < len(rows):
        first = next(i for i, label in enumerate(rows.labels) if label not in index)
        where = f"{rows.path}:{rows.lines[first]}"
        if unknown != "skip":
            raise DataError(f"{where}: label {rows.labels[first]!r} does not occur in the training split (labels: "
                            f"{', '.join(labels)}); fix the label or set data.unknown_label=skip")
        log.info("%s: skipped %d of %d examples whose label is not in the training split (first at %s)",
                 name, len(rows) - len(keep), len(rows), where)
        rows = rows.select(keep)
    return rows, np.array([index[label] for label in rows.labels], dtype=np.int64)


def encode_texts(tokenizer: Tokenizer, texts: list[str], max_len: int | None) -> tuple[Ragged, dict]:
    """Token ids per text, cut to the first ``max_len`` tokens; a text with no tokens becomes one <unk>.
    Returns the ids and the counts {unknown, truncated, empty} for the log."""
    ids, offsets, n_unk = tokenizer.encode_batch(texts)
    lengths = np.diff(offsets)
    keep_len = lengths if max_len is None else np.minimum(lengths, max_len)
    position = np.arange(len(ids)) - np.repeat(offsets[:-1], lengths)
    ids = ids[position < np.repeat(keep_len, lengths)]
    empty = keep_len == 0
    if empty.any():
        starts = np.concatenate([[0], np.cumsum(keep_len)[:-1]])
        ids = np.insert(ids, starts[empty], UNK)
        keep_len = np.maximum(keep_len, 1)
    new_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(keep_len, out=new_offsets[1:])
    counts = {"unknown": n_unk, "truncated": int((keep_len < lengths).sum()), "empty": int(empty.sum())}
    return Ragged(ids, new_offsets), counts


@dataclass
class LabeledSplit:
    """One split: normalised texts, label ids (N,) and token ids."""

    texts: list[str]
    labels: np.ndarray
    ids: Ragged

    def __len__(self) -> int:
        return len(self.texts)

    def to_state(self) -> dict:
        return {"texts": self.texts, "labels": torch.from_numpy(self.labels), "ids": self.ids.to_state()}

    @classmethod
    def from_state(cls, s: dict) -> LabeledSplit:
        return cls(s["texts"], s["labels"].numpy(), Ragged.from_state(s["ids"]))


def fit_tokenizer(tok_cfg: dict, texts: list[str]) -> Tokenizer:
    """One tokenizer (the section's settings, with its ``source`` overrides) fitted on the training texts."""
    if not texts:
        raise DataError("the training split is empty; check data.path and the split sizes")
    tok = build_tokenizer(side_configs(tok_cfg)["source"])
    tok.fit(texts)
    return tok


def _build(data: dict, tok_cfg: dict) -> dict:
    start = time.perf_counter()
    raw = read_raw_splits(data)
    labels = label_vocabulary(raw["train"].labels)
    tokenizer = fit_tokenizer(tok_cfg, raw["train"].texts)
    splits = {}
    for name, rows in raw.items():
        rows, ids = label_ids(rows, labels, data["unknown_label"], name)
        tokens, counts = encode_texts(tokenizer, rows.texts, data["max_len"])
        notes = {"unknown": "unknown tokens (<unk>)", "truncated": f"texts cut to data.max_len={data['max_len']} tokens",
                 "empty": "texts with no tokens (one <unk> each)"}
        if any(counts.values()):
            log.info("%s: %s", name, ", ".join(f"{counts[k]} {v}" for k, v in notes.items() if counts[k]))
        splits[name] = LabeledSplit(rows.texts, ids, tokens)
    log.info("prepared %s; %d labels (%s) in %.1fs", ", ".join(f"{k}={len(v)}" for k, v in splits.items()),
             len(labels), ", ".join(labels), time.perf_counter() - start)
    return {"tokenizer": tokenizer.state(), "labels": labels, "splits": {k: v.to_state() for k, v in splits.items()}}


@dataclass
class PreparedLabeled:
    tokenizer: Tokenizer
    labels: list[str]
    splits: dict[str, LabeledSplit]


def prepare_labeled(data: dict, tok_cfg: dict, cache_dir: str | None) -> PreparedLabeled:
    """Prepared splits, label names and fitted tokenizer, from the cache when inputs and settings match."""
    files = [data[k] for k in ("path", "valid_path", "test_path") if data[k]]
    settings = {"data": {k: v for k, v in data.items() if k not in LOADER_KEYS}, "tokenizer": tok_cfg}
    key = cache_key(files, settings)
    payload, hit = load_or_build(cache_dir if data["cache"] else None, key, lambda: _build(data, tok_cfg))
    if hit:
        log.info("loaded prepared data from cache entry %s", key)
    splits = {k: LabeledSplit.from_state(v) for k, v in payload["splits"].items()}
    return PreparedLabeled(tokenizer_from_state(payload["tokenizer"]), list(payload["labels"]), splits)
