"""Prepare a parallel corpus of any size into a ``data.prepared`` directory, in bounded memory.

The same steps and the same results as the in-memory ``prepare_pairs`` (same split, same vocabulary, same
ids, same length filter), but the file is streamed several times instead of held as Python strings:

1. count the pairs (and check every line), hashing each source and pair (8 bytes each), so the leak-free
   seeded split can be drawn: one int8 label per pair;
2. fit the tokenizers on the training pairs, streamed (char/word count symbols as they go); SentencePiece
   is trained on a seeded sample of at most ``sentencepiece_sample_pairs`` training pairs;
3. encode the pairs in chunks and append the ids to the ``.npy`` files of their split.
"""

from __future__ import annotations

import logging
import shutil
import time
from array import array
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from seq2seq.data.pairs.preparation import (
    check_training_left,
    fit_tokenizers,
    length_mask,
    log_dropped,
    log_unknown,
    seeded_pair_labels,
    warn_source_overlap,
)
from seq2seq.data.pairs.prepared_dir import (
    MANIFEST,
    SPLITS,
    SplitWriter,
    input_digests,
    manifest_settings,
    write_manifest,
)
from seq2seq.data.pairs.reader import PARALLEL_READER_KEYS, iter_parallel_tsv
from seq2seq.data.ragged import Ragged
from seq2seq.data.report import ReadReport
from seq2seq.data.split import DUPLICATE, TRAIN, key_hash
from seq2seq.errors import ConfigError
from seq2seq.tokenizers import Tokenizer, side_configs

log = logging.getLogger(__name__)


class LabelledPairs:
    """The pairs of a data config, each with its split label; iterating reads the files again."""

    def __init__(self, data: dict):
        self.data = data
        self.explicit = bool(data["valid_path"] and data["test_path"])
        self.files = [data["path"]] + ([data["valid_path"], data["test_path"]] if self.explicit else [])
        self.reports = [ReadReport(str(f), "pairs read") for f in self.files]
        limit = None if self.explicit else data["limit"]
        scans = [self._scan(f, r, limit if i == 0 else None) for i, (f, r) in enumerate(zip(self.files, self.reports))]
        for report in self.reports:
            log.info(report.summary())
        self.labels: np.ndarray | None = None  # per pair of data.path, when the split is drawn from it
        if self.explicit:
            self.counts = [count for count, _, _ in scans]
            for name, (_, keys, _) in zip(SPLITS[1:], scans[1:]):
                warn_source_overlap(data, scans[0][1], name, keys)
        else:
            _, src_keys, pair_keys = scans[0]
            self.labels = seeded_pair_labels(data, src_keys, pair_keys)
            self.counts = [int(np.count_nonzero(self.labels == k)) for k in range(len(SPLITS))]

    def _scan(self, path: str, report: ReadReport, limit: int | None) -> tuple[int, np.ndarray, np.ndarray]:
        """Read every line (checking it); the key hashes of the first ``limit`` pairs (source, whole pair)."""
        src_keys, pair_keys, count = array("q"), array("q"), 0
        for src, tgt in self._read(path, report):
            if not limit or count < limit:
                src_keys.append(key_hash(src))
                pair_keys.append(key_hash(src, tgt))
            count += 1
        return count, np.frombuffer(src_keys, dtype=np.int64), np.frombuffer(pair_keys, dtype=np.int64)

    def _read(self, path: str, report: ReadReport | None = None) -> Iterator[tuple[str, str]]:
        return iter_parallel_tsv(path, **{k: self.data[k] for k in PARALLEL_READER_KEYS}, report=report)

    def __iter__(self) -> Iterator[tuple[int, str, str]]:
        if self.explicit:
            for label, path in enumerate(self.files):
                for src, tgt in self._read(path):
                    yield label, src, tgt
            return
        # zip stops at the last label: data.limit reads no further.
        for label, (src, tgt) in zip(self._labels(), self._read(self.files[0])):
            if label != DUPLICATE:  # a repeated copy of a valid/test pair: in no split
                yield label, src, tgt

    def _labels(self, chunk: int = 1 << 16) -> Iterator[int]:
        for start in range(0, len(self.labels), chunk):  # a slice at a time: no Python int per pair at once
            yield from self.labels[start : start + chunk].tolist()


class TrainTexts:
    """One side of the training pairs, re-read from the file on every iteration (a tokenizer fit may pass
    over it more than once). ``keep`` restricts it to a sample of the training pairs."""

    def __init__(self, pairs: LabelledPairs, side: int, keep: np.ndarray | None = None):
        self.pairs, self.side, self.keep = pairs, side, keep

    def __len__(self) -> int:
        return self.pairs.counts[TRAIN] if self.keep is None else int(self.keep.sum())

    def __iter__(self) -> Iterator[str]:
        position = 0
        for label, *texts in self.pairs:
            if label != TRAIN:
                continue
            if self.keep is None or self.keep[position]:
                yield texts[self.side]
            position += 1


def sample_mask(total: int, size: int, seed: int) -> np.ndarray | None:
    """A seeded choice of ``size`` of ``total`` positions, or None when all fit."""
    if total <= size:
        return None
    keep = np.zeros(total, dtype=bool)
    keep[np.random.default_rng(seed).choice(total, size, replace=False)] = True
    return keep


def fit_streaming(pairs: LabelledPairs, tok_cfg: dict, seed: int, sp_sample: int) -> tuple[Tokenizer, Tokenizer]:
    keep = sample_mask(pairs.counts[TRAIN], sp_sample, seed)
    sides = side_configs(tok_cfg)
    texts = []
    for index, side in enumerate(("source", "target")):
        bounded = sides[side]["kind"] == "sentencepiece" and keep is not None
        if bounded:
            log.info("%s: SentencePiece trains on a seeded sample of %d of %d training pairs "
                     "(prepare.sentencepiece_sample_pairs)", side, sp_sample, pairs.counts[TRAIN])
        texts.append(TrainTexts(pairs, index, keep if bounded else None))
    return fit_tokenizers(tok_cfg, texts[0], texts[1])


def encode_to_dir(pairs: LabelledPairs, tokenizers: tuple[Tokenizer, Tokenizer], out: Path, data: dict,
                  chunk_pairs: int) -> dict:
    """Encode every pair into the split files under ``out``; returns the per-split counts."""
    # SPLITS is in label order (TRAIN, VALID, TEST), so a label indexes the writers.
    writers = [SplitWriter(out / name, keep_texts=name != "train") for name in SPLITS]
    buffers: list[tuple[list[str], list[str]]] = [([], []) for _ in SPLITS]
    unknown = np.zeros((len(SPLITS), 2), dtype=np.int64)
    dropped = 0

    def flush(label: int) -> None:
        nonlocal dropped
        src_text, tgt_text = buffers[label]
        if not src_text:
            return
        src_ids, src_off, src_unk = tokenizers[0].encode_batch(src_text)
        tgt_ids, tgt_off, tgt_unk = tokenizers[1].encode_batch(tgt_text)
        unknown[label] += (src_unk, tgt_unk)
        src, tgt = Ragged(src_ids, src_off), Ragged(tgt_ids, tgt_off)
        if label == TRAIN:  # the length filter applies to training pairs only, as in prepare_pairs
            keep = np.flatnonzero(length_mask(src.lengths, tgt.lengths, data["min_len"], data["max_len"]))
            if len(keep) < len(src):
                dropped += len(src) - len(keep)
                src, tgt = src.select(keep), tgt.select(keep)
        writers[label].append(src, tgt, src_text, tgt_text)
        buffers[label] = ([], [])

    try:
        for label, src, tgt in pairs:
            buffers[label][0].append(src)
            buffers[label][1].append(tgt)
            if len(buffers[label][0]) >= chunk_pairs:
                flush(label)
        for label in range(len(SPLITS)):
            flush(label)
    except BaseException:
        for w in writers:
            w.abort()
        raise
    for label, name in enumerate(SPLITS):
        log_unknown(name, *unknown[label].tolist())
    log_dropped("train", dropped, pairs.counts[TRAIN], data["min_len"], data["max_len"])
    counts = {name: w.close() for name, w in zip(SPLITS, writers)}
    check_training_left(data, counts["train"]["pairs"])
    counts["train"]["dropped_by_length"] = dropped
    return counts


def prepare_to_dir(data: dict, tok_cfg: dict, chunk_pairs: int = 100_000,
                   sentencepiece_sample_pairs: int = 1_000_000) -> dict:
    """Write the prepared splits of ``data`` to ``data["prepared"]``; returns the manifest."""
    if data.get("kind") != "parallel":
        raise ConfigError(f"seq2seq.prepare reads data.kind=parallel corpora, not data.kind={data.get('kind')!r}")
    if not data.get("prepared"):
        raise ConfigError("set data.prepared=<dir>: where to write the prepared arrays (training reads them "
                          "from the same setting)")
    out = Path(data["prepared"])
    if out.exists() and not (out / MANIFEST).is_file() and any(out.iterdir()):
        raise ConfigError(f"data.prepared={out} exists and is not a prepared directory; choose an empty or new one")
    start = time.perf_counter()
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    pairs = LabelledPairs(data)
    tokenizers = fit_streaming(pairs, tok_cfg, data["split_seed"], sentencepiece_sample_pairs)
    counts = encode_to_dir(pairs, tokenizers, partial, data, chunk_pairs)
    manifest = {
        "settings": manifest_settings(data, tok_cfg),
        "inputs": input_digests(data),
        "shared": bool(tok_cfg.get("shared")),
        "counts": counts,
        "read": [{"file": r.path, "pairs": r.read, "blank": r.blank, "malformed": r.malformed} for r in pairs.reports],
        "prepare": {"chunk_pairs": chunk_pairs, "sentencepiece_sample_pairs": sentencepiece_sample_pairs,
                    "seconds": round(time.perf_counter() - start, 1)},
    }
    write_manifest(partial, manifest, tokenizers)
    if out.exists():  # an older prepared directory (checked above): replaced only now that the new one is whole
        shutil.rmtree(out)
    partial.rename(out)
    log.info("prepared %s into %s in %.1fs", ", ".join(f"{k}={v['pairs']}" for k, v in counts.items()), out,
             time.perf_counter() - start)
    return manifest
