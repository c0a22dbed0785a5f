"""Length-bucketed batches, by sentences or by tokens, sharded across DDP ranks.

Batches are formed the same way on every rank (same seed), padded to a multiple of the world size by
repeating the first batches, and dealt out round-robin: every rank gets its own batches and the same
number of them, so no rank waits at the end of an epoch for a collective the others never reach.
"""

from __future__ import annotations

import numpy as np
from torch.utils.data import Sampler


class BucketBatchSampler(Sampler[list[int]]):
    def __init__(
        self,
        lengths: np.ndarray,
        batch_size: int,
        batch_by: str = "sentences",
        shuffle: bool = True,
        bucket: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        pool_batches: int = 100,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        # Kept in the caller's integer dtype (a memory-mapped int32 array for large corpora: no copy).
        self.lengths = np.asarray(lengths)
        if not np.issubdtype(self.lengths.dtype, np.integer):
            self.lengths = self.lengths.astype(np.int64)
        self.batch_size = batch_size
        self.batch_by = batch_by
        self.shuffle = shuffle
        self.bucket = bucket
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.pool_batches = pool_batches
        self.epoch = 0
        self._resume: tuple[int, int] | None = None  # (epoch, batches already done in it)
        self._cached: tuple[int, list[np.ndarray]] | None = None

    @property
    def sampler(self) -> BucketBatchSampler:
        """Lightning calls ``set_epoch`` on ``loader.batch_sampler.sampler`` (not on the batch sampler
        itself); pointing it here makes every epoch get its own shuffle."""
        return self

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning before each epoch: a new shuffle per epoch, identical on all ranks."""
        self.epoch = epoch

    def resume_at(self, epoch: int, position: int) -> None:
        """The next iteration over ``epoch`` skips its first ``position`` batches (mid-epoch resume)."""
        self._resume = (epoch, position)

    def _cut(self, order: np.ndarray) -> list[np.ndarray]:
        if self.batch_by == "sentences":
            return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        # Token budget counts padded tokens: batch rows × longest row.
        batches, start, longest = [], 0, 0
        for pos, idx in enumerate(order):
            longest_if_added = max(longest, int(self.lengths[idx]))
            if pos > start and longest_if_added * (pos - start + 1) > self.batch_size:
                batches.append(order[start:pos])
                start, longest_if_added = pos, int(self.lengths[idx])
            longest = longest_if_added
        if start < len(order):
            batches.append(order[start:])
        return batches

    def _all_batches(self) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed + self.epoch)
        # int32 positions halve the sampler's memory on large corpora; shuffling them in place draws the
        # same permutation as rng.permutation(n).
        order = np.arange(len(self.lengths), dtype=np.int32 if len(self.lengths) < 2**31 else np.int64)
        if self.shuffle:
            rng.shuffle(order)
        if not self.bucket:
            return self._cut(order)
        if self.batch_by == "sentences":
            pool = self.batch_size * self.pool_batches
        else:
            pool = max(1, self.batch_size * self.pool_batches // max(1, int(self.lengths.mean())))
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches.extend(self._cut(chunk))
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def _rank_batches(self) -> list[np.ndarray]:
        # Token batching gives a different batch count per shuffle, so cache per epoch.
        if self._cached is not None and self._cached[0] == self.epoch:
            return self._cached[1]
        batches = self._all_batches()
        if self.num_replicas > 1 and batches:
            short = -len(batches) % self.num_replicas
            batches = batches + batches[:short]
            batches = batches[self.rank :: self.num_replicas]
        self._cached = (self.epoch, batches)
        return batches

    def __iter__(self):
        batches = self._rank_batches()
        if self._resume is not None and self._resume[0] == self.epoch:
            batches = batches[self._resume[1] :]
            self._resume = None
        for batch in batches:
            yield batch.tolist()

    def __len__(self) -> int:
        return len(self._rank_batches())
