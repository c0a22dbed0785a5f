"""Mid-epoch resume for datamodules whose training batches come from a BucketBatchSampler.

Lightning saves ``datamodule.state_dict()`` in every checkpoint and calls ``load_state_dict`` on resume
before it asks for the training dataloader, so the sampler of the resumed run can be put on the same
epoch and skip the batches the interrupted run had already trained on.
"""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader

from seq2seq.data.sampler import BucketBatchSampler


class ResumableTrainData:
    """Mixin for LightningDataModules. Call ``self.prepare_train_sampler(sampler)`` when building the
    training loader."""

    _resume_point: tuple[int, int] | None = None
    has_test_split: bool = True  # the text LM's data.test_size=0 has none: the run then skips its test

    def state_dict(self) -> dict:
        trainer = getattr(self, "trainer", None)
        if trainer is None:
            return {}
        loop = trainer.fit_loop
        # The same epoch number Lightning hands to set_epoch, and the training batches of that epoch
        # already processed (the loader itself cannot count them: Lightning prefetches ahead).
        return {"epoch": int(loop.epoch_progress.current.processed),
                "position": int(loop.epoch_loop.batch_progress.current.processed)}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self._resume_point = (state["epoch"], state["position"])

    def prepare_train_sampler(self, sampler: BucketBatchSampler) -> BucketBatchSampler:
        if self._resume_point is not None:
            epoch, position = self._resume_point
            sampler.set_epoch(epoch)
            sampler.resume_at(epoch, position)
            self._resume_point = None
        return sampler


class BatchedDataModule(ResumableTrainData, L.LightningDataModule):
    """What every datamodule of the project shares: length-bucketed batches sharded over DDP ranks,
    mid-epoch resume, and loaders that never draw from the global RNG. Subclasses implement
    ``_loader(split_name, train)`` with ``batch_loader``."""

    seed: int = 0

    def batch_loader(self, dataset, lengths, *, train: bool, batch_size: int, collate_fn, data: dict,
                     batch_by: str = "sentences", bucket: bool = True) -> DataLoader:
        world, rank = 1, 0
        if self.trainer is not None:
            world, rank = self.trainer.world_size, self.trainer.global_rank
        sampler = BucketBatchSampler(lengths, batch_size, batch_by=batch_by, shuffle=train, bucket=bucket,
                                     seed=self.seed, num_replicas=world, rank=rank)
        if train:
            self.prepare_train_sampler(sampler)  # a resumed run skips the batches already trained on
        workers = data["num_workers"]
        return DataLoader(
            dataset,
            batch_sampler=sampler,
            collate_fn=collate_fn,
            num_workers=workers,
            pin_memory=data["pin_memory"] and torch.cuda.is_available(),
            persistent_workers=workers > 0,
            # Its own generator: creating an iterator must not draw from the global RNG, or a resumed
            # run's dropout masks would be shifted by one draw.
            generator=torch.Generator().manual_seed(self.seed),
        )

    def _loader(self, name: str, train: bool) -> DataLoader:
        raise NotImplementedError

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("valid", train=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", train=False)
