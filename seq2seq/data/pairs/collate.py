"""Padding a list of (index, source ids, target ids) into a batch of tensors."""

from __future__ import annotations

import numpy as np
import torch

from seq2seq.tokenizers import BOS, EOS, PAD


def _pad(seqs: list[np.ndarray], prefix: int | None, suffix: int | None) -> tuple[np.ndarray, np.ndarray]:
    extra = (prefix is not None) + (suffix is not None)
    lengths = np.array([len(s) + extra for s in seqs], dtype=np.int64)
    out = np.full((len(seqs), int(lengths.max())), PAD, dtype=np.int64)
    start = 1 if prefix is not None else 0
    for row, s in enumerate(seqs):
        if prefix is not None:
            out[row, 0] = prefix
        out[row, start : start + len(s)] = s
        if suffix is not None:
            out[row, start + len(s)] = suffix
    return out, lengths


def collate_sources(index: list[int], sources: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """Source side only (for prediction). Every source ends with EOS, so none is empty.

    Keys: ``index`` (B,), ``src`` (B, S), ``src_lengths`` (B,) and ``src_lengths_cpu`` (B,), which stays
    on the CPU because packing needs host lengths (moving it would cost a device sync per step).
    """
    src, src_len = _pad(sources, None, EOS)
    lengths = torch.from_numpy(src_len)
    return {
        "index": torch.tensor(index, dtype=torch.long),
        "src": torch.from_numpy(src),
        "src_lengths": lengths,
        "src_lengths_cpu": lengths.clone(),
    }


def collate_pairs(items: list[tuple[int, np.ndarray, np.ndarray]]) -> dict[str, torch.Tensor]:
    """Adds ``tgt_in`` (B, T) = BOS + target and ``tgt_out`` (B, T) = target + EOS, padded with PAD."""
    index, sources, targets = zip(*items)
    batch = collate_sources(list(index), list(sources))
    tgt_in, _ = _pad(list(targets), BOS, None)
    tgt_out, _ = _pad(list(targets), None, EOS)
    batch["tgt_in"] = torch.from_numpy(tgt_in)
    batch["tgt_out"] = torch.from_numpy(tgt_out)
    return batch
