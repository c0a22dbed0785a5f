"""LightningDataModule for labelled text (classification) and its dataset (the collate function is in
``seq2seq.data.labeled.collate``, which inference imports without Lightning)."""

from __future__ import annotations

from torch.utils.data import DataLoader, Dataset

from seq2seq.data.base import BatchedDataModule
from seq2seq.data.labeled.collate import collate_labeled
from seq2seq.data.labeled.preparation import (
    LabeledSplit,
    PreparedLabeled,
    check_data_config,
    prepare_labeled,
    read_raw_splits,
    read_rows,
)
from seq2seq.data.labeled.reader import LabeledRows
from seq2seq.errors import ConfigError


class LabeledDataset(Dataset):
    """Items are (index, token ids, label id); the index maps predictions back to the split's examples."""

    def __init__(self, split: LabeledSplit):
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, i: int):
        return i, self.split.ids[i], int(self.split.labels[i])


class LabeledDataModule(BatchedDataModule):
    def __init__(self, data: dict, tokenizer: dict, cache_dir: str | None = None, seed: int = 0):
        super().__init__()
        check_data_config(data)
        self.data_cfg = data
        self.tokenizer_cfg = tokenizer
        self.cache_dir = cache_dir
        self.seed = seed
        self.prepared: PreparedLabeled | None = None

    def setup(self, stage: str | None = None) -> None:
        # Idempotent: train() calls it before building the model (which needs the vocabulary and labels).
        if self.prepared is None:
            self.prepared = prepare_labeled(self.data_cfg, self.tokenizer_cfg, self.cache_dir)
            for name in ("valid", "test"):
                if len(self.prepared.splits[name]) == 0:
                    raise ConfigError(f"the {name} split is empty; set data.{name}_size > 0 or data.{name}_path")

    @property
    def tokenizers(self):
        return {"text": self.prepared.tokenizer}

    @property
    def labels(self) -> list[str]:
        return self.prepared.labels

    def split(self, name: str) -> LabeledSplit:
        return self.prepared.splits[name]

    def _loader(self, name: str, train: bool) -> DataLoader:
        split, d = self.split(name), self.data_cfg
        return self.batch_loader(
            LabeledDataset(split), split.ids.lengths, train=train, collate_fn=collate_labeled,
            batch_size=d["batch_size"] if train else d["eval_batch_size"], data=d,
            batch_by=d["batch_by"] if train else "sentences", bucket=d["bucket"] or not train,
        )

    @staticmethod
    def eval_rows(data: dict, split: str, input_path: str | None) -> LabeledRows:
        """The rows of a split of the training data, or of another file read the same way."""
        if input_path:
            return read_rows(data, input_path)
        if split not in ("train", "valid", "test"):
            raise ConfigError(f"split={split!r} is not one of ['test', 'train', 'valid']")
        return read_raw_splits(data)[split]
