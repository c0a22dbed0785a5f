"""Padding (index, token ids, label id) items into a classifier batch."""

from __future__ import annotations

import numpy as np
import torch

from seq2seq.tokenizers import PAD


def collate_labeled(items: list[tuple[int, np.ndarray, int]]) -> dict[str, torch.Tensor]:
    """(index, token ids, label id) items → ``index`` (B,), ``tokens`` (B, S) padded with PAD,
    ``lengths_cpu`` (B,) int64 kept on the host for packing, ``labels`` (B,). Every sequence is non-empty."""
    index, seqs, labels = zip(*items)
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    assert lengths.min() >= 1, "empty sequences must not reach the model"
    tokens = np.full((len(seqs), int(lengths.max())), PAD, dtype=np.int64)
    for row, s in enumerate(seqs):
        tokens[row, : len(s)] = s
    return {"index": torch.tensor(index, dtype=torch.long), "tokens": torch.from_numpy(tokens),
            "lengths_cpu": torch.from_numpy(lengths), "labels": torch.tensor(labels, dtype=torch.long)}
