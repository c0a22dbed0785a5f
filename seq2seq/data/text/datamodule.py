"""LightningDataModule for language modelling: prepared text splits served as stream windows."""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader

from seq2seq.data.base import ResumableTrainData
from seq2seq.data.text.preparation import PreparedText, TextSplit, prepare_text
from seq2seq.data.text.streams import StreamWindows, WindowSampler, check_stream_count
from seq2seq.errors import ConfigError
from seq2seq.tokenizers import Tokenizer

STAGE_SPLITS = {"train": "train", "val": "valid", "test": "test"}


class TextDataModule(ResumableTrainData, L.LightningDataModule):
    """Each rank reads its own streams (see ``seq2seq.data.text.streams``); nothing is shuffled, so Lightning's
    distributed sampler must stay off (``use_distributed_sampler=False``, as ``train.py`` sets it). A run
    resumed mid-epoch starts at the window it stopped before (``ResumableTrainData``)."""

    def __init__(self, data: dict, tokenizer: dict, cache_dir: str | None = None, seed: int = 0):
        super().__init__()
        self.data_cfg = data
        self.tokenizer_cfg = tokenizer
        self.cache_dir = cache_dir
        self.seed = seed  # only seeds the loaders' own generator: stream batching involves no randomness
        self.prepared: PreparedText | None = None

    def setup(self, stage: str | None = None) -> None:
        # Idempotent: train() calls it before building the model (which needs the vocabulary size).
        if self.prepared is None:
            self.prepared = prepare_text(self.data_cfg, self.tokenizer_cfg, self.cache_dir)
        if self.trainer is not None:  # inside fit/test: fail now, not at the first validation
            for step, name in STAGE_SPLITS.items():
                if name in self.prepared.splits:  # no test split with data.test_size=0
                    rows, world, _ = self._rows_world_rank(step)
                    check_stream_count(len(self.split(name).ids), rows, world, name)

    def _rows_world_rank(self, stage: str) -> tuple[int, int, int]:
        d = self.data_cfg
        world, rank = 1, 0
        if self.trainer is not None:
            world, rank = self.trainer.world_size, self.trainer.global_rank
        return (d["batch_size"] if stage == "train" else d["eval_batch_size"]), world, rank

    @property
    def tokenizer(self) -> Tokenizer:
        return self.prepared.tokenizer

    @property
    def has_test_split(self) -> bool:
        """False with ``data.test_size=0``: the text is cut into train and valid only."""
        return "test" in self.prepared.splits

    def split(self, name: str) -> TextSplit:
        if name not in self.prepared.splits:
            raise ConfigError(f"this run has no {name} split (data.test_size=0); set data.test_size > 0")
        return self.prepared.splits[name]

    def windows(self, stage: str) -> StreamWindows:
        """This rank's stream windows of the split used by ``stage`` (train / val / test)."""
        rows, world, rank = self._rows_world_rank(stage)
        name = STAGE_SPLITS[stage]
        return StreamWindows(self.split(name).ids, rows, self.data_cfg["bptt"], world, rank, name)

    def _loader(self, stage: str) -> DataLoader:
        d = self.data_cfg
        windows = self.windows(stage)
        sampler = WindowSampler(len(windows))
        if stage == "train":
            self.prepare_train_sampler(sampler)  # a resumed run skips the windows already trained on
        # Its own generator: starting an epoch must not draw from the global RNG (dropout masks would shift).
        return DataLoader(windows, batch_size=None, sampler=sampler, num_workers=d["num_workers"],
                          pin_memory=d["pin_memory"] and torch.cuda.is_available(),
                          persistent_workers=d["num_workers"] > 0,
                          generator=torch.Generator().manual_seed(self.seed))

    def train_dataloader(self) -> DataLoader:
        return self._loader("train")

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")
