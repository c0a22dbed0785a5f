"""Padding encoded sentences into a tagger batch: word, casing and tag ids per token, and the characters of
each distinct form in the batch once."""

from __future__ import annotations

import numpy as np
import torch

from seq2seq.data.conll.vocab import EncodedSentences
from seq2seq.data.ragged import Ragged
from seq2seq.tokenizers import PAD


def _pad_rows(ragged: Ragged, rows: np.ndarray, width: int, fill: int) -> np.ndarray:
    out = np.full((len(rows), width), fill, dtype=np.int64)
    for r, i in enumerate(rows):
        seq = ragged[i]
        out[r, : len(seq)] = seq
    return out


def collate_tagging(encoded: EncodedSentences, rows: list[int] | np.ndarray, tags: Ragged | None = None) -> dict:
    """The batch of sentences ``rows`` (each with at least one token).

    Keys: ``index`` (B,); ``words``, ``casing`` (B, T) with PAD=0 after each sentence; ``mask`` (B, T) bool;
    ``lengths_cpu`` (B,); ``chars`` (U, C) the characters of the U distinct forms in the batch, PAD=0;
    ``char_lengths_cpu`` (U,); ``form_index`` (B, T) the row of ``chars`` of each token (0 at padding);
    ``tags`` (B, T) when ``tags`` is given (0 at padding: only ``mask`` says which positions count).
    ``*_cpu`` tensors stay on the host (packing needs host lengths).
    """
    rows = np.asarray(rows, dtype=np.int64)
    lengths = encoded.tokens.lengths[rows]
    if len(rows) == 0 or lengths.min() < 1:
        raise ValueError("a tagging batch needs at least one sentence and one token per sentence")
    forms = _pad_rows(encoded.tokens, rows, int(lengths.max()), -1)
    mask = forms >= 0
    unique, inverse = np.unique(forms[mask], return_inverse=True)
    form_index = np.zeros(forms.shape, dtype=np.int64)
    form_index[mask] = inverse
    safe = np.where(mask, forms, 0)
    char_lengths = encoded.form_chars.lengths[unique]
    batch = {
        "index": torch.from_numpy(rows.copy()),
        "words": torch.from_numpy(np.where(mask, encoded.form_words[safe], PAD)),
        "casing": torch.from_numpy(np.where(mask, encoded.form_casing[safe], 0)),
        "mask": torch.from_numpy(mask),
        "lengths_cpu": torch.from_numpy(lengths.astype(np.int64)),
        "chars": torch.from_numpy(_pad_rows(encoded.form_chars, unique, int(char_lengths.max()), PAD)),
        "char_lengths_cpu": torch.from_numpy(char_lengths.astype(np.int64)),
        "form_index": torch.from_numpy(form_index),
    }
    if tags is not None:
        batch["tags"] = torch.from_numpy(_pad_rows(tags, rows, forms.shape[1], 0))
    return batch
