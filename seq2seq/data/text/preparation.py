"""Plain text for language models: read → normalise (newlines kept) → contiguous train/valid/test split →
fit the tokenizer on the training text → encode each split into one flat id array.

The split is cut in text order, never shuffled: a language model must be scored on text that follows the
text it was trained on, not on sentences drawn from the middle of it. Every function is a plain function of
the ``data`` config, so DDP ranks and the evaluate/predict CLIs rebuild exactly the same splits.
"""

from __future__ import annotations

import logging
import math
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seq2seq.data.cache import cache_key, load_or_build
from seq2seq.data.normalize import normalize_text
from seq2seq.data.textio import decode_text, require_file
from seq2seq.errors import ConfigError, DataError
from seq2seq.tokenizers import Tokenizer, build_tokenizer, tokenizer_from_state

log = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")
WHITESPACE = ("fold", "keep", "flatten")
# Data settings that do not change the prepared arrays (only how batches are cut from them).
LOADER_KEYS = {"batch_size", "eval_batch_size", "bptt", "bptt_backprop", "num_workers", "pin_memory", "cache"}
# SentencePiece skips training "sentences" over 4192 bytes: it is trained on chunks of this many characters.
SP_CHUNK = 2000


def normalize_lm_text(text: str, form: str = "nfc", lowercase: bool = False, whitespace: str = "fold") -> str:
    """Unicode-normalise and optionally lower-case ``text``, keeping its line structure.

    whitespace: ``fold`` — per line, runs of white space (spaces, tabs, no-break spaces) become one space
    and both line ends are stripped (newlines and blank lines stay); ``keep`` — spaces untouched;
    ``flatten`` — newlines too become spaces (one long line). ``\\r\\n`` and ``\\r`` become ``\\n`` and a
    byte-order mark is dropped in every mode."""
    if whitespace not in WHITESPACE:
        raise ConfigError(f"data.whitespace={whitespace!r} is unknown; choose one of {list(WHITESPACE)}")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if whitespace == "flatten":
        return normalize_text(text, form, lowercase)
    if whitespace == "fold":
        return "\n".join(normalize_text(line, form, lowercase) for line in text.split("\n"))
    if form != "none":  # keep
        text = unicodedata.normalize(form.upper(), text)
    return text.lower() if lowercase else text


def read_text_file(path: str | Path, on_error: str = "error") -> str:
    """The UTF-8 text of ``path``. An undecodable line raises ``DataError`` naming file and line, unless
    ``on_error="skip"``: then such lines are dropped and counted in the log."""
    path = require_file(path, "set data.path to a plain UTF-8 text file")
    raw = path.read_bytes()
    try:
        return decode_text(raw, path)
    except DataError as err:
        if b"\x00" in raw:  # a binary or UTF-16 file: no line of it is worth keeping
            raise
        if on_error != "skip":
            raise DataError(f"{err}, or set data.on_error=skip to drop such lines") from None
    kept, bad = [], []
    for lineno, chunk in enumerate(raw.split(b"\n"), start=1):
        try:
            kept.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            bad.append(lineno)
    log.info("%s: dropped %d lines that are not valid UTF-8 (first lines: %s)", path, len(bad),
             ", ".join(map(str, bad[:3])))
    return "\n".join(kept)


def load_text(data: dict, path: str) -> str:
    """The normalised text of ``path`` under the ``data`` settings."""
    text = normalize_lm_text(read_text_file(path, data["on_error"]), data["normalize"], data["lowercase"],
                             data["whitespace"])
    if not text.strip():
        raise DataError(f"{path}: no text left after normalisation; check data.path")
    return text


def _chars(size: float, total: int, name: str, zero_ok: bool = False) -> int:
    """``size`` < 1 is a fraction of ``total`` characters, ``size`` >= 1 a number of characters; 0 (only
    with ``zero_ok``) is none."""
    if size < 0 or (size == 0 and not zero_ok):
        least = ">= 0 (0: no test split)" if zero_ok else "> 0"
        raise ConfigError(f"data.{name}={size} must be {least} (a fraction below 1 or a number of characters)")
    if size == 0:
        return 0
    return max(1, round(size * total)) if size < 1 else int(size)


def _snap(text: str, pos: int, limit: int) -> int:
    """Move a split point forward to the next line start (else word start) before ``limit``, so no split
    begins in the middle of a word; ``pos`` itself when there is none."""
    if pos == 0 or text[pos - 1] == "\n":
        return pos
    for sep in ("\n", " "):
        found = text.find(sep, pos, limit)
        if found >= 0:
            return found + 1
    return pos


def split_text(text: str, valid_size: float, test_size: float) -> dict[str, str]:
    """Contiguous train / valid / test parts of ``text``, in this order (never shuffled). Each cut moves
    forward to the next line start (else word start), so a part is a little shorter than asked.
    ``test_size=0``: no test part; valid runs to the end of the text (still from a line start)."""
    n = len(text)
    n_valid, n_test = _chars(valid_size, n, "valid_size"), _chars(test_size, n, "test_size", zero_ok=True)
    if n_valid + n_test >= n:
        raise ConfigError(f"data.valid_size and data.test_size take {n_valid}+{n_test} of {n} characters, "
                          "leaving no training text; lower them")
    valid_end = _snap(text, n - n_test, n) if n_test else n
    train_end = _snap(text, n - n_test - n_valid, valid_end)
    parts = {"train": text[:train_end], "valid": text[train_end:valid_end]}
    if n_test:
        parts["test"] = text[valid_end:]
    empty = [k for k, v in parts.items() if not v]
    if empty:
        raise ConfigError(f"the {empty[0]} split is empty ({n} characters in all); raise data.valid_size / "
                          "data.test_size or give a longer text")
    return parts


def read_text_splits(data: dict) -> dict[str, str]:
    """Normalised texts of train/valid/test: explicit files when ``valid_path`` and ``test_path`` are set,
    else contiguous fractions of ``path`` (after ``limit``: its first N characters; no test with
    ``test_size=0``)."""
    text = load_text(data, data["path"])
    if data["valid_path"] and data["test_path"]:
        return {"train": text, "valid": load_text(data, data["valid_path"]),
                "test": load_text(data, data["test_path"])}
    if data["valid_path"] or data["test_path"]:
        raise ConfigError("set both data.valid_path and data.test_path, or neither (then path is split)")
    if data["limit"]:
        text = text[: data["limit"]]
    return split_text(text, data["valid_size"], data["test_size"])


def training_chunks(text: str, size: int = SP_CHUNK) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters at line (else word) ends, newlines kept:
    what SentencePiece trains on, so that ``\\n`` is a piece and no long line is skipped."""
    chunks, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind(" ", start, end))
            end = cut + 1 if cut > start else end
        chunks.append(text[start:end])
        start = end
    return chunks


def fit_text_tokenizer(tok_cfg: dict, train_text: str) -> Tokenizer:
    """One tokenizer (the ``tokenizer`` section; per-side overrides do not apply) fitted on the train text."""
    sides = [s for s in ("source", "target") if tok_cfg.get(s)]
    if sides:
        raise ConfigError(f"tokenizer.{sides[0]} overrides do not apply to a language model (one tokenizer); "
                          f"set the keys on tokenizer directly")
    tok = build_tokenizer({k: v for k, v in tok_cfg.items() if k not in ("source", "target")})
    tok.fit(training_chunks(train_text) if tok.kind == "sentencepiece" else [train_text])
    return tok


@dataclass
class TextSplit:
    """One split: its normalised text and its ids (N,) int32. ``tokens_per_char`` converts a per-token
    loss into a per-character one (exactly 1 for the char tokenizer)."""

    text: str
    ids: np.ndarray

    @property
    def tokens_per_char(self) -> float:
        return len(self.ids) / max(1, len(self.text))

    def bits_per_char(self, loss_per_token: float) -> float:
        return loss_per_token * self.tokens_per_char / math.log(2)


def encode_text(tokenizer: Tokenizer, text: str, name: str) -> TextSplit:
    """Ids of the whole text (one call, so subword pieces may span lines), with counts in the log."""
    ids, _, unknown = tokenizer.encode_batch([text])
    if unknown:
        log.info("%s: %d unknown tokens (mapped to <unk>)", name, unknown)
    elif tokenizer.kind == "sentencepiece" and len(decoded := tokenizer.decode(ids.tolist())) != len(text):
        log.warning("%s: SentencePiece decodes the text to %d characters instead of %d (it folds runs of "
                    "spaces; data.whitespace=fold avoids that)", name, len(decoded), len(text))
    return TextSplit(text, ids)


def _build(data: dict, tok_cfg: dict) -> dict:
    import torch  # here only: normalize_lm_text/encode_text serve the torch-free ONNX LM (seq2seq.onnx_runtime)

    start = time.perf_counter()
    texts = read_text_splits(data)
    tokenizer = fit_text_tokenizer(tok_cfg, texts["train"])
    splits = {name: encode_text(tokenizer, texts[name], name) for name in SPLITS if name in texts}
    log.info("prepared %s (characters/tokens) with a vocabulary of %d in %.1fs",
             ", ".join(f"{k}={len(v.text)}/{len(v.ids)}" for k, v in splits.items()), tokenizer.vocab_size,
             time.perf_counter() - start)
    return {"tokenizer": tokenizer.state(),
            "splits": {k: {"text": v.text, "ids": torch.from_numpy(v.ids)} for k, v in splits.items()}}


@dataclass
class PreparedText:
    tokenizer: Tokenizer
    splits: dict[str, TextSplit]


def prepare_text(data: dict, tok_cfg: dict, cache_dir: str | None) -> PreparedText:
    """Prepared splits and the fitted tokenizer, from the cache when the file and settings are unchanged."""
    files = [data["path"]] + [data[k] for k in ("valid_path", "test_path") if data[k]]
    for f in files:
        if not Path(f).is_file():
            raise DataError(f"{f}: no such file; set data.path to a plain UTF-8 text file")
    settings = {"data": {k: v for k, v in data.items() if k not in LOADER_KEYS}, "tokenizer": tok_cfg}
    key = cache_key(files, settings)
    cache = cache_dir if data["cache"] else None
    payload, hit = load_or_build(cache, key, lambda: _build(data, tok_cfg))
    if hit:
        log.info("loaded prepared text from cache entry %s", key)
    splits = {k: TextSplit(v["text"], v["ids"].numpy()) for k, v in payload["splits"].items()}
    if "test" not in splits:
        log.info("no test split (data.test_size=0): train is the text before the validation part")
    return PreparedText(tokenizer_from_state(payload["tokenizer"]), splits)
