"""Pretrained word vectors from a text file: GloVe (``word v1 ... vd`` per line) or word2vec text format
(the same, after a ``count dim`` header line)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from seq2seq.errors import DataError
from seq2seq.tokenizers import SPECIALS


def _is_header(parts: list[str]) -> bool:
    return len(parts) == 2 and all(p.isdigit() for p in parts)


def read_vectors(path: str | Path, vocab: dict[str, int], dim: int,
                 key: Callable[[str], str] = lambda w: w) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Vectors of the vocabulary words found in the file.

    Each file word is looked up as ``key(word)`` (the vocabulary's own normalisation, e.g. lower-casing);
    the first vector for a key wins; the special ids 0-3 are never read. Returns (ids (N,) long, vectors (N, dim), lines read). A line with
    the wrong number of values, or values that are not numbers, raises ``DataError`` with file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; set model.embeddings_path to a GloVe/word2vec text file")
    found: dict[int, list[float]] = {}
    lines = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            parts = line.rstrip().split(" ")
            if lineno == 1 and _is_header(parts) or not line.strip():
                continue
            lines += 1
            if len(parts) != dim + 1:
                raise DataError(f"{path}:{lineno}: expected a word and {dim} values (model.embedding_dim), "
                                f"found {len(parts) - 1} values; set model.embedding_dim to the file's dimension")
            wid = vocab.get(key(parts[0]))
            if wid is None or wid < len(SPECIALS) or wid in found:
                continue
            try:
                found[wid] = [float(v) for v in parts[1:]]
            except ValueError:
                raise DataError(f"{path}:{lineno}: a value is not a number") from None
    ids = torch.tensor(sorted(found), dtype=torch.long)
    vectors = torch.tensor([found[i] for i in sorted(found)], dtype=torch.float32).reshape(len(found), dim)
    return ids, vectors, lines
