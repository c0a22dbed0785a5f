"""Pretrained word vectors from a text file: GloVe (``word v1 ... vd`` per line) or word2vec text format
(the same, after a ``count dim`` header line), and copying them into an embedding table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from seq2seq.errors import DataError
from seq2seq.tokenizers import SPECIALS, Tokenizer
from seq2seq.tokenizers.word import SPACE_MARK


def _is_header(parts: list[str]) -> bool:
    return len(parts) == 2 and all(p.isdigit() for p in parts)


def read_vectors(path: str | Path, vocab: dict[str, int], dim: int, key: Callable[[str], str] = lambda w: w,
                 config_key: str = "model.embeddings_path") -> tuple[torch.Tensor, torch.Tensor, int]:
    """Vectors of the vocabulary words found in the file.

    Each file word is looked up as ``key(word)`` (the vocabulary's own normalisation, e.g. lower-casing);
    the first vector for a key wins; the special ids 0-3 are never read. Returns (ids (N,) long, vectors (N, dim), lines read). A line with
    the wrong number of values, or values that are not numbers, raises ``DataError`` with file and line;
    ``config_key`` is the setting that named the file, for the message when it does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; set {config_key} to a GloVe/word2vec text file")
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
                                f"found {len(parts) - 1} values; set model.embedding_dim={len(parts) - 1}")
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


@torch.no_grad()
def copy_vectors(embedding: nn.Embedding, ids: torch.Tensor, vectors: torch.Tensor, freeze: bool = False) -> None:
    """Copy vectors (N, D) into the rows ``ids`` (N,); ``freeze`` stops the whole table from learning."""
    embedding.weight[ids.to(embedding.weight.device)] = vectors.to(embedding.weight)
    embedding.weight.requires_grad_(not freeze)


def word_forms(tokenizer: Tokenizer) -> dict[str, list[int]]:
    """Every non-special id under the form a vectors file spells it: word and SentencePiece pieces drop the
    leading ``▁`` that marks a preceding space, so ``▁the`` and ``the`` both take the vector of ``the``."""
    forms: dict[str, list[int]] = {}
    first = len(SPECIALS)
    for i, piece in enumerate(tokenizer.pieces(range(first, tokenizer.vocab_size)), start=first):
        form = piece[1:] if piece.startswith(SPACE_MARK) and len(piece) > 1 else piece
        forms.setdefault(form, []).append(i)
    return forms


def load_pretrained(embedding: nn.Embedding, path: str | Path, tokenizer: Tokenizer, freeze: bool,
                    config_key: str) -> int:
    """Initialise the rows of ``tokenizer``'s vocabulary found in the vectors file ``path`` (the others keep
    their init); returns how many ids were initialised. Lower-casing tokenizers look words up lower-cased."""
    forms = word_forms(tokenizer)
    form_of = {ids[0]: form for form, ids in forms.items()}
    key = str.lower if getattr(tokenizer, "lowercase", False) else (lambda w: w)
    found, vectors, _ = read_vectors(path, {form: ids[0] for form, ids in forms.items()}, embedding.embedding_dim,
                                     key, config_key)
    groups = [forms[form_of[int(i)]] for i in found]  # every id spelled like each found word
    rows = torch.tensor([j for group in groups for j in group], dtype=torch.long)
    copy_vectors(embedding, rows, vectors.repeat_interleave(torch.tensor([len(g) for g in groups],
                                                                         dtype=torch.long), dim=0), freeze)
    return len(rows)
