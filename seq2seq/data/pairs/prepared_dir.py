"""The on-disk format of ``python -m seq2seq.prepare`` (``data.prepared=<dir>``), and reading it back.

Layout::

    <dir>/manifest.json                  format version, settings, input digests, counts, checksums
    <dir>/tokenizer_source.*, tokenizer_target.*   as ``save_tokenizer_files`` writes them
    <dir>/<split>/{src,tgt}_ids.npy      int32, all sequences of the split back to back
    <dir>/<split>/{src,tgt}_offsets.npy  int64, len(split) + 1: sequence i is ids[offsets[i]:offsets[i+1]]
    <dir>/<split>/lengths.npy            int32, source + target tokens per pair (what the sampler sorts by)
    <dir>/{valid,test}/texts.json        the normalised texts (metric references); the training split has none

Training opens the arrays memory-mapped, so its memory does not grow with the corpus: only the pages of the
batches being read are resident. Opening checks every file against the SHA-256 the manifest holds for it
(``counts.<split>.checksums``) and every token id against the vocabulary, in one streamed pass, so a damaged
array stops the run before training instead of training silently on garbage or failing mid-epoch.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from seq2seq.data.cache import file_digest
from seq2seq.data.npy_files import NpyAppender, open_npy, scan_npy
from seq2seq.data.pairs.preparation import LOADER_KEYS, PairSplit, PreparedPairs
from seq2seq.data.ragged import Ragged
from seq2seq.errors import DataError
from seq2seq.tokenizers import Tokenizer, load_tokenizer_file, save_tokenizer_files

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: leak-free grouped splits (seq2seq.data.split); 3: per-file checksums
MANIFEST = "manifest.json"
SPLITS = ("train", "valid", "test")
INPUT_KEYS = ("path", "valid_path", "test_path")


def rerun_hint(directory: str | Path) -> str:
    return (f"re-run `python -m seq2seq.prepare data.prepared={directory}` with this run's data=/tokenizer= "
            "overrides, or drop data.prepared")


def manifest_settings(data: dict, tok_cfg: dict) -> dict:
    """The settings that shape the prepared arrays. Input files count by content (their digests), not by
    where they are, so a moved corpus still matches."""
    skip = LOADER_KEYS | set(INPUT_KEYS)
    return {"data": {k: v for k, v in sorted(data.items()) if k not in skip}, "tokenizer": tok_cfg}


def input_digests(data: dict) -> dict[str, str]:
    return {key: file_digest(data[key]) for key in INPUT_KEYS if data.get(key)}


class SplitWriter:
    """Appends encoded chunks of one split to its ``.npy`` files (and keeps the texts of small splits)."""

    def __init__(self, directory: Path, keep_texts: bool):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.files = {name: NpyAppender(directory / f"{name}.npy", dtype) for name, dtype in (
            ("src_ids", np.int32), ("src_offsets", np.int64), ("tgt_ids", np.int32), ("tgt_offsets", np.int64),
            ("lengths", np.int32))}
        for side in ("src", "tgt"):
            self.files[f"{side}_offsets"].append(np.zeros(1, np.int64))
        self.texts: dict[str, list[str]] | None = {"src": [], "tgt": []} if keep_texts else None
        self.pairs = 0

    def append(self, src: Ragged, tgt: Ragged, src_text: list[str], tgt_text: list[str]) -> None:
        for side, ragged in (("src", src), ("tgt", tgt)):
            total = self.files[f"{side}_ids"].length
            self.files[f"{side}_ids"].append(ragged.ids)
            self.files[f"{side}_offsets"].append(ragged.offsets[1:] + total)
        self.files["lengths"].append(src.lengths + tgt.lengths)
        if self.texts is not None:
            self.texts["src"].extend(src_text)
            self.texts["tgt"].extend(tgt_text)
        self.pairs += len(src)

    def close(self) -> dict:
        """Finishes the files; returns the split's counts for the manifest."""
        for f in self.files.values():
            f.close()
        checksums = {f"{name}.npy": f.digest for name, f in self.files.items()}
        if self.texts is not None:
            (self.directory / "texts.json").write_text(json.dumps(self.texts, ensure_ascii=False), encoding="utf-8")
            checksums["texts.json"] = file_digest(self.directory / "texts.json")
        return {"pairs": self.pairs, "src_tokens": self.files["src_ids"].length,
                "tgt_tokens": self.files["tgt_ids"].length, "checksums": checksums}

    def abort(self) -> None:
        for f in self.files.values():
            f.abort()


def write_manifest(directory: Path, manifest: dict, tokenizers: tuple[Tokenizer, Tokenizer]) -> None:
    save_tokenizer_files({"source": tokenizers[0], "target": tokenizers[1]}, directory)
    manifest = {"format": FORMAT_VERSION, **manifest}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


class MappedRagged(Ragged):
    """A ``Ragged`` whose ``ids``/``offsets`` are memory-mapped ``.npy`` files (whole-array operations read
    them through the mapping), while one sequence is read with ``os.pread`` into its own small buffer.

    Why not slice the mapping: a page fault maps the whole page-cache folio around the page (2 MiB per
    random read on the kernels measured), so random batches would map the corpus into the process within
    an epoch: clean, reclaimable page cache, but counted in its RSS. Pickles as its file names (DataLoader
    workers, ``ddp_spawn``), not as the arrays."""

    def __init__(self, ids_path: str, offsets_path: str, fix: str):
        ids, offsets = open_npy(ids_path, np.int32, fix), open_npy(offsets_path, np.int64, fix)
        super().__init__(ids, offsets)
        if len(self.offsets) == 0 or int(self.offsets[-1]) != len(self.ids):
            raise DataError(f"{offsets_path}: does not match {Path(ids_path).name} (truncated?); {fix}")
        self._args = (ids_path, offsets_path, fix)
        # Unbuffered files, closed with the object; pread takes no file position, so forked workers may share them.
        self._ids_file = open(ids_path, "rb", buffering=0)  # noqa: SIM115
        self._offsets_file = open(offsets_path, "rb", buffering=0)  # noqa: SIM115
        self._ids_at, self._offsets_at = ids.offset, offsets.offset  # where the data starts (after the header)

    def __getitem__(self, i: int) -> np.ndarray:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"sequence {i} of {len(self)}")
        start, end = np.frombuffer(os.pread(self._offsets_file.fileno(), 16, self._offsets_at + 8 * i), np.int64)
        size = 4 * int(end - start)
        data = os.pread(self._ids_file.fileno(), size, self._ids_at + 4 * int(start))
        if len(data) != size:
            raise DataError(f"{self._args[0]}: shorter than its offsets say (truncated?); {self._args[2]}")
        return np.frombuffer(data, dtype=np.int32)

    def __reduce__(self):
        return MappedRagged, self._args


def _first_difference(saved: dict, current: dict, prefix: str = "") -> str | None:
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key, "<unset>"), current.get(key, "<unset>")
        if isinstance(a, dict) and isinstance(b, dict):
            found = _first_difference(a, b, f"{prefix}{key}.")
            if found:
                return found
        elif a != b:
            return f"{prefix}{key}={json.dumps(a)} there, {json.dumps(b)} in this run"
    return None


def read_manifest(directory: Path, fix: str) -> dict:
    path = directory / MANIFEST
    if not path.is_file():
        raise DataError(f"data.prepared={directory}: no {MANIFEST} (not a prepared directory, or prepare did not "
                        f"finish); {fix}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        raise DataError(f"{path}: unreadable ({err}); {fix}") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise DataError(f"data.prepared={directory}: format {manifest.get('format')}, this version reads "
                        f"format {FORMAT_VERSION}; {fix}")
    return manifest


def check_manifest(directory: Path, manifest: dict, data: dict, tok_cfg: dict, fix: str) -> None:
    """The directory must have been prepared from these files with these settings."""
    diff = _first_difference(manifest["settings"], json.loads(json.dumps(manifest_settings(data, tok_cfg))))
    if diff:
        raise DataError(f"data.prepared={directory} was prepared with other settings ({diff}); {fix}")
    saved, current = manifest["inputs"], input_digests(data)
    if set(saved) != set(current):
        raise DataError(f"data.prepared={directory} was prepared from inputs {sorted(saved)}, this run names "
                        f"{sorted(current)}; {fix}")
    for key, digest in current.items():
        if saved[key] != digest:
            raise DataError(f"data.prepared={directory} was prepared from another version of data.{key}="
                            f"{data[key]} (its content changed); {fix}")


def _open_split(directory: Path, name: str, counts: dict, vocab_sizes: tuple[int, int], fix: str) -> PairSplit:
    """One split, memory-mapped, after checking every file's checksum and every id against the vocabulary."""
    d, expected = directory / name, counts["pairs"]
    src = MappedRagged(str(d / "src_ids.npy"), str(d / "src_offsets.npy"), fix)
    tgt = MappedRagged(str(d / "tgt_ids.npy"), str(d / "tgt_offsets.npy"), fix)
    lengths = open_npy(d / "lengths.npy", np.int32, fix)
    if not len(src) == len(tgt) == len(lengths) == expected:
        raise DataError(f"{d}: {len(src)} source / {len(tgt)} target / {len(lengths)} length entries, the manifest "
                        f"says {expected} pairs; {fix}")
    checksums = counts.get("checksums") or {}
    limits = {"src_ids": vocab_sizes[0], "tgt_ids": vocab_sizes[1], "src_offsets": None, "tgt_offsets": None,
              "lengths": None}
    for stem, limit in limits.items():
        if f"{stem}.npy" not in checksums:
            raise DataError(f"{directory / MANIFEST}: no checksum for {name}/{stem}.npy; {fix}")
        scan_npy(d / f"{stem}.npy", checksums[f"{stem}.npy"], fix, limit)
    if name == "train":
        return PairSplit(None, None, src, tgt, stored_lengths=lengths)
    if file_digest(d / "texts.json") != checksums.get("texts.json"):
        raise DataError(f"{d / 'texts.json'}: content changed since it was prepared (checksum mismatch); {fix}")
    texts = split_texts(directory, name, fix)
    return PairSplit(texts[0], texts[1], src, tgt, stored_lengths=lengths)


def split_texts(directory: str | Path, name: str, fix: str) -> tuple[list[str], list[str]]:
    path = Path(directory) / name / "texts.json"
    try:
        texts = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        raise DataError(f"{path}: unreadable ({str(err).splitlines()[0]}); {fix}") from None
    return texts["src"], texts["tgt"]


def _load_tokenizer(directory: Path, side: str, fix: str) -> Tokenizer:
    found = sorted(directory.glob(f"tokenizer_{side}.*"))
    if not found:
        raise DataError(f"{directory}: no tokenizer_{side}.json/.model; {fix}")
    return load_tokenizer_file(found[0])


def open_prepared(data: dict, tok_cfg: dict) -> PreparedPairs:
    """The splits of ``data.prepared``, memory-mapped, after checking they match ``data`` and ``tok_cfg``."""
    directory = Path(data["prepared"])
    fix = rerun_hint(directory)
    manifest = read_manifest(directory, fix)
    check_manifest(directory, manifest, data, tok_cfg, fix)
    src_tok = _load_tokenizer(directory, "source", fix)
    tgt_tok = src_tok if manifest["shared"] else _load_tokenizer(directory, "target", fix)
    sizes = (src_tok.vocab_size, tgt_tok.vocab_size)
    splits = {name: _open_split(directory, name, manifest["counts"][name], sizes, fix) for name in SPLITS}
    log.info("opened prepared data %s (%s)", directory, ", ".join(f"{k}={len(v)}" for k, v in splits.items()))
    return PreparedPairs(src_tok, tgt_tok, splits)
