"""Read → split → fit tokenizers on the training split → encode → filter by length.

Everything here is a plain function of the config, so DDP ranks (which re-run the script) and the
evaluate/predict CLIs get the same splits and the same ids.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from seq2seq.data.cache import cache_key, load_or_build
from seq2seq.data.dialogs.reader import dialog_input_files, read_dialog_pairs, read_dialog_splits
from seq2seq.data.pairs.reader import PARALLEL_READER_KEYS, read_parallel_tsv
from seq2seq.data.ragged import Ragged
from seq2seq.data.split import Grouping, indices_of, key_hashes, log_overlap, log_split, split_labels
from seq2seq.errors import ConfigError, DataError
from seq2seq.tokenizers import Tokenizer, build_tokenizer, side_configs, tokenizer_from_state

log = logging.getLogger(__name__)

# Data settings that do not change the prepared arrays (only how batches are drawn from them, or where
# prepared arrays are kept).
LOADER_KEYS = {"batch_size", "eval_batch_size", "batch_by", "bucket", "num_workers", "pin_memory", "cache",
               "prepared"}


@dataclass
class PairSplit:
    """One split: the normalised texts (references for metrics) and their ids. A training split read from
    a prepared directory has no texts (``None``) and its ``src``/``tgt`` are memory-mapped."""

    src_text: list[str] | None
    tgt_text: list[str] | None
    src: Ragged
    tgt: Ragged
    # Source + target length of each pair, when stored beside memory-mapped ids (saves reading both offsets).
    stored_lengths: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.src)

    @property
    def pair_lengths(self) -> np.ndarray:
        """Source + target tokens of each pair: what the bucketing sampler sorts by."""
        if self.stored_lengths is not None:
            return self.stored_lengths
        return self.src.lengths + self.tgt.lengths

    def to_state(self) -> dict:
        return {"src_text": self.src_text, "tgt_text": self.tgt_text,
                "src": self.src.to_state(), "tgt": self.tgt.to_state()}

    @classmethod
    def from_state(cls, s: dict) -> PairSplit:
        return cls(s["src_text"], s["tgt_text"], Ragged.from_state(s["src"]), Ragged.from_state(s["tgt"]))


def read_pairs(data: dict, path: str) -> tuple[list[str], list[str]]:
    if data["kind"] == "dialog":
        return read_dialog_pairs(data, path)
    src, tgt, report = read_parallel_tsv(path, **{k: data[k] for k in PARALLEL_READER_KEYS})
    log.info(report.summary())
    return src, tgt


def pair_grouping(src_keys: np.ndarray, pair_keys: np.ndarray) -> Grouping:
    """Translation pairs are grouped by their normalised source sentence: the same source with several
    translations (common in Tatoeba) never straddles two splits; identical pairs are copies."""
    return Grouping.from_hashes(src_keys, pair_keys)


def seeded_pair_labels(data: dict, src_keys: np.ndarray, pair_keys: np.ndarray) -> np.ndarray:
    """The split label of each pair of ``data.path`` (the in-memory and the streaming path both use this)."""
    grouping = pair_grouping(src_keys, pair_keys)
    labels = split_labels(len(src_keys), data["valid_size"], data["test_size"], data["split_seed"], grouping)
    log_split(str(data["path"]), labels, grouping, "pairs", "groups of one source sentence")
    return labels


def warn_source_overlap(data: dict, train_keys: np.ndarray, name: str, keys: np.ndarray) -> None:
    """Count the pairs of an explicit split file whose source sentence is also a training source."""
    log_overlap(name, str(data[f"{name}_path"]), int(np.isin(keys, train_keys).sum()), len(keys), "pairs",
                "a source sentence")


def read_raw_splits(data: dict) -> dict[str, tuple[list[str], list[str]]]:
    """Texts of train/valid/test: from explicit split files when given (their overlap with training is
    counted in the log), else a leak-free seeded split of ``path`` (``seeded_pair_labels``)."""
    if data["kind"] == "dialog":
        return read_dialog_splits(data)
    src, tgt = read_pairs(data, data["path"])
    if data["valid_path"] and data["test_path"]:
        splits = {"train": (src, tgt), "valid": read_pairs(data, data["valid_path"]),
                  "test": read_pairs(data, data["test_path"])}
        train_keys = key_hashes(src)
        for name in ("valid", "test"):
            warn_source_overlap(data, train_keys, name, key_hashes(splits[name][0]))
        return splits
    if data["limit"]:
        src, tgt = src[: data["limit"]], tgt[: data["limit"]]
    parts = indices_of(seeded_pair_labels(data, key_hashes(src), key_hashes(src, tgt)))
    return {name: ([src[i] for i in idx], [tgt[i] for i in idx]) for name, idx in parts.items()}


def fit_tokenizers(tok_cfg: dict, src_texts: Collection[str], tgt_texts: Collection[str]) -> tuple[Tokenizer, Tokenizer]:
    """One tokenizer fitted on source + target (``tokenizer.shared``), else one per side with the section's
    settings overridden by ``tokenizer.source`` / ``tokenizer.target``. The texts are iterated once per
    tokenizer, so they may be lists or re-iterable streams over a file."""
    if not src_texts:
        raise DataError("the training split is empty; check data.path and the split sizes")
    sides = side_configs(tok_cfg)
    if tok_cfg.get("shared"):
        tok = build_tokenizer(sides["source"])
        tok.fit(itertools.chain(src_texts, tgt_texts))  # texts may be re-iterable streams, not lists
        return tok, tok
    fitted = []
    for side, texts in (("source", src_texts), ("target", tgt_texts)):
        tok = build_tokenizer(sides[side])
        try:
            tok.fit(texts)
        except ConfigError as err:
            raise ConfigError(f"{side} tokenizer: {err}") from None
        fitted.append(tok)
    return fitted[0], fitted[1]


def log_unknown(name: str, src_unk: int, tgt_unk: int) -> None:
    if src_unk or tgt_unk:
        log.info("%s: %d unknown source tokens, %d unknown target tokens (mapped to <unk>)", name, src_unk, tgt_unk)


def encode_split(name: str, src: list[str], tgt: list[str], tokenizers: tuple[Tokenizer, Tokenizer]) -> PairSplit:
    src_ids, src_off, src_unk = tokenizers[0].encode_batch(src)
    tgt_ids, tgt_off, tgt_unk = tokenizers[1].encode_batch(tgt)
    log_unknown(name, src_unk, tgt_unk)
    return PairSplit(src, tgt, Ragged(src_ids, src_off), Ragged(tgt_ids, tgt_off))


def length_mask(src_len: np.ndarray, tgt_len: np.ndarray, min_len: int, max_len: int) -> np.ndarray:
    """True for the pairs whose sides both have ``min_len..max_len`` tokens."""
    return (src_len >= min_len) & (tgt_len >= min_len) & (src_len <= max_len) & (tgt_len <= max_len)


def log_dropped(name: str, dropped: int, total: int, min_len: int, max_len: int) -> None:
    if dropped:
        log.info("%s: dropped %d of %d pairs outside %d..%d tokens (data.min_len / data.max_len)",
                 name, dropped, total, min_len, max_len)


def check_training_left(data: dict, kept: int) -> None:
    if kept == 0:
        raise DataError(f"{data['path']}: no training pairs left after the length filter; "
                        "raise data.max_len or lower data.min_len")


def filter_by_length(split: PairSplit, min_len: int, max_len: int, name: str) -> PairSplit:
    """Drop pairs with either side outside [min_len, max_len] tokens; the count goes to the log."""
    keep = np.flatnonzero(length_mask(split.src.lengths, split.tgt.lengths, min_len, max_len))
    dropped = len(split) - len(keep)
    log_dropped(name, dropped, len(split), min_len, max_len)
    if dropped == 0:
        return split
    return PairSplit([split.src_text[i] for i in keep], [split.tgt_text[i] for i in keep],
                     split.src.select(keep), split.tgt.select(keep))


def _build(data: dict, tok_cfg: dict) -> dict:
    start = time.perf_counter()
    raw = read_raw_splits(data)
    tokenizers = fit_tokenizers(tok_cfg, *raw["train"])
    splits = {name: encode_split(name, s, t, tokenizers) for name, (s, t) in raw.items()}
    splits["train"] = filter_by_length(splits["train"], data["min_len"], data["max_len"], "train")
    check_training_left(data, len(splits["train"]))
    log.info("prepared %s in %.1fs", ", ".join(f"{k}={len(v)}" for k, v in splits.items()),
             time.perf_counter() - start)
    return {
        "tokenizers": {"source": tokenizers[0].state(), "target": tokenizers[1].state()},
        "shared": bool(tok_cfg.get("shared")),
        "splits": {k: v.to_state() for k, v in splits.items()},
    }


@dataclass
class PreparedPairs:
    src_tokenizer: Tokenizer
    tgt_tokenizer: Tokenizer
    splits: dict[str, PairSplit]


def input_files(data: dict) -> list[str]:
    """The files a data config reads."""
    if data["kind"] == "dialog":
        return dialog_input_files(data)  # a directory of YAML files, or the installed chatterbot corpus
    return [data["path"]] + [data[k] for k in ("valid_path", "test_path") if data[k]]


def prepare_pairs(data: dict, tok_cfg: dict, cache_dir: str | None) -> PreparedPairs:
    """Prepared splits and fitted tokenizers, from the cache when the inputs and settings are unchanged."""
    settings = {"data": {k: v for k, v in data.items() if k not in LOADER_KEYS}, "tokenizer": tok_cfg}
    key = cache_key(input_files(data), settings)
    payload, hit = load_or_build(cache_dir if data["cache"] else None, key, lambda: _build(data, tok_cfg))
    if hit:
        log.info("loaded prepared data from cache entry %s", key)
    src_tok = tokenizer_from_state(payload["tokenizers"]["source"])
    tgt_tok = src_tok if payload["shared"] else tokenizer_from_state(payload["tokenizers"]["target"])
    splits = {k: PairSplit.from_state(v) for k, v in payload["splits"].items()}
    return PreparedPairs(src_tok, tgt_tok, splits)
