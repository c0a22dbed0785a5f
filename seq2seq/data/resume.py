"""Mid-epoch resume for datamodules whose training batches come from a BucketBatchSampler.

Lightning saves ``datamodule.state_dict()`` in every checkpoint and calls ``load_state_dict`` on resume
before it asks for the training dataloader, so the sampler of the resumed run can be put on the same
epoch and skip the batches the interrupted run had already trained on.
"""

from __future__ import annotations

from seq2seq.data.sampler import BucketBatchSampler


class ResumableTrainData:
    """Mixin for LightningDataModules. Call ``self.prepare_train_sampler(sampler)`` when building the
    training loader."""

    _resume_point: tuple[int, int] | None = None

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
