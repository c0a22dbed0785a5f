"""Variable-length id sequences stored as one flat array plus offsets (no per-sentence Python objects)."""

from __future__ import annotations

import numpy as np


class Ragged:
    """``ids[offsets[i]:offsets[i+1]]`` is sequence ``i``."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray):
        self.ids = np.asarray(ids, dtype=np.int32)
        self.offsets = np.asarray(offsets, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i] : self.offsets[i + 1]]

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def select(self, keep: np.ndarray) -> Ragged:
        """The sequences at indices ``keep`` (in that order)."""
        lengths = self.lengths[keep]
        offsets = np.zeros(len(keep) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if len(keep) == 0:
            return Ragged(np.zeros(0, dtype=np.int32), offsets)
        ids = np.concatenate([self[i] for i in keep]) if len(keep) else np.zeros(0, np.int32)
        return Ragged(ids, offsets)

    def to_state(self) -> dict:
        import torch  # here only: ragged ids also serve the torch-free ONNX tagger (seq2seq.onnx_runtime)

        return {"ids": torch.from_numpy(self.ids), "offsets": torch.from_numpy(self.offsets)}

    @classmethod
    def from_state(cls, state: dict) -> Ragged:
        return cls(state["ids"].numpy(), state["offsets"].numpy())
