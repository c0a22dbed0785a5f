"""Batches for truncated BPTT: a split cut into contiguous streams, read in consecutive windows.

The split's N tokens are cut into ``S = rows × world_size`` contiguous streams of ``ceil(N/S)`` or
``floor(N/S)`` tokens (the first ``N mod S`` streams are one longer); rank ``k`` owns streams
``k·rows … (k+1)·rows − 1``, one per batch row. Window ``j`` holds tokens ``j·bptt … (j+1)·bptt − 1`` of
every row, so row ``r`` of window ``j+1`` continues row ``r`` of window ``j`` and a recurrent state can be
carried from one batch to the next. Every token of the split is a target exactly once per epoch; the input
before the first token of a stream is ``<bos>`` (the model starts every stream, and every prompt, from
``<bos>`` and a zero state). A stream one token shorter than the longest ends with a ``<pad>`` target,
ignored by the loss. Every rank gets the same number of windows, ``ceil(ceil(N/S) / bptt)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from seq2seq.errors import DataError
from seq2seq.tokenizers import BOS, PAD


def stream_offsets(n_tokens: int, n_streams: int) -> np.ndarray:
    """(S+1,) int64 offsets: stream ``s`` is ``ids[offsets[s]:offsets[s+1]]``."""
    base, extra = divmod(n_tokens, n_streams)
    lengths = np.full(n_streams, base, dtype=np.int64)
    lengths[:extra] += 1
    return np.concatenate([[0], np.cumsum(lengths)])


def check_stream_count(n_tokens: int, rows: int, world_size: int, name: str) -> None:
    """Every stream needs at least one token: a one-line ``DataError`` naming the keys to lower otherwise."""
    if n_tokens < rows * world_size:
        raise DataError(f"the {name} split has {n_tokens} tokens, fewer than its {rows * world_size} streams "
                        f"({rows} rows x {world_size} ranks); lower data.batch_size / data.eval_batch_size")


class StreamWindows(Dataset):
    """Item ``j`` is window ``j`` of this rank's streams: ``{"input": (B, T), "target": (B, T)}`` int64,
    with ``B = rows`` and ``T = bptt`` (the last window may be shorter). Use with ``batch_size=None``."""

    def __init__(self, ids: np.ndarray, rows: int, bptt: int, world_size: int = 1, rank: int = 0,
                 name: str = "split"):
        n_streams = rows * world_size
        if rows < 1 or bptt < 1:
            raise ValueError(f"rows={rows} and bptt={bptt} must be >= 1")
        check_stream_count(len(ids), rows, world_size, name)
        offsets = stream_offsets(len(ids), n_streams)
        longest = int(offsets[1] - offsets[0])
        target = torch.full((rows, longest), PAD, dtype=torch.long)
        for r in range(rows):
            s = rank * rows + r
            stream = torch.from_numpy(np.asarray(ids[offsets[s] : offsets[s + 1]], dtype=np.int64))
            target[r, : len(stream)] = stream
        bos = torch.full((rows, 1), BOS, dtype=torch.long)
        self.input = torch.cat([bos, target[:, :-1]], dim=1)  # PAD inputs only ever precede PAD targets
        self.target = target
        self.bptt = bptt
        self.first_stream = rank * rows
        self.n_windows = math.ceil(longest / bptt)

    def __len__(self) -> int:
        return self.n_windows

    def __getitem__(self, j: int) -> dict[str, torch.Tensor]:
        if not 0 <= j < self.n_windows:
            raise IndexError(j)
        window = slice(j * self.bptt, (j + 1) * self.bptt)
        return {"input": self.input[:, window].contiguous(), "target": self.target[:, window].contiguous()}

    @property
    def tokens(self) -> int:
        """Targets that are real tokens (not padding) in this rank's streams."""
        return int((self.target != PAD).sum())


class WindowSampler(Sampler[int]):
    """Window indices ``0 … n−1`` in order. After ``resume_at(epoch, position)`` the iteration over that
    epoch starts at window ``position`` (mid-epoch resume); ``set_epoch`` is called by Lightning."""

    def __init__(self, n_windows: int):
        self.n_windows = n_windows
        self.epoch = 0
        self._resume: tuple[int, int] | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def resume_at(self, epoch: int, position: int) -> None:
        self._resume = (epoch, position)

    def __iter__(self):
        start = 0
        if self._resume is not None and self._resume[0] == self.epoch:
            start = min(self._resume[1], self.n_windows)
        self._resume = None
        return iter(range(start, self.n_windows))

    def __len__(self) -> int:
        return self.n_windows
