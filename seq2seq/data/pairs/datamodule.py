"""LightningDataModule for source→target pairs (translation, and later dialog pairs)."""

from __future__ import annotations

from torch.utils.data import DataLoader, Dataset

from seq2seq.data.base import BatchedDataModule
from seq2seq.data.pairs.collate import collate_pairs
from seq2seq.data.pairs.preparation import (
    PairSplit,
    PreparedPairs,
    prepare_pairs,
    read_pairs,
    read_raw_splits,
)
from seq2seq.data.pairs.prepared_dir import open_prepared, rerun_hint, split_texts
from seq2seq.errors import ConfigError


class PairDataset(Dataset):
    """Items are (index, source ids, target ids); the index maps predictions back to references."""

    def __init__(self, split: PairSplit):
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, i: int):
        return i, self.split.src[i], self.split.tgt[i]


class PairDataModule(BatchedDataModule):
    def __init__(self, data: dict, tokenizer: dict, cache_dir: str | None = None, seed: int = 0):
        super().__init__()
        self.data_cfg = data
        self.tokenizer_cfg = tokenizer
        self.cache_dir = cache_dir
        self.seed = seed
        self.prepared: PreparedPairs | None = None

    def setup(self, stage: str | None = None) -> None:
        # Idempotent: train() calls it before building the model (which needs vocabulary sizes).
        if self.prepared is None and self.data_cfg.get("prepared"):
            self.prepared = open_prepared(self.data_cfg, self.tokenizer_cfg)  # memory-mapped, checked
        elif self.prepared is None:
            self.prepared = prepare_pairs(self.data_cfg, self.tokenizer_cfg, self.cache_dir)

    @property
    def tokenizers(self):
        return self.prepared.src_tokenizer, self.prepared.tgt_tokenizer

    def split(self, name: str) -> PairSplit:
        return self.prepared.splits[name]

    def _loader(self, name: str, train: bool) -> DataLoader:
        split, d = self.split(name), self.data_cfg
        return self.batch_loader(
            PairDataset(split), split.pair_lengths, train=train, collate_fn=collate_pairs,
            batch_size=d["batch_size"] if train else d["eval_batch_size"], data=d,
            batch_by=d["batch_by"] if train else "sentences",
            bucket=d["bucket"] or not train,  # evaluation is always length-sorted: order is restored by index
        )

    @staticmethod
    def eval_examples(data: dict, split: str, input_path: str | None) -> tuple[list[str], list[str]]:
        """(inputs, references) of a split of the training data, or of another file read the same way."""
        if input_path:
            return read_pairs(data, input_path)
        if data.get("prepared") and split in ("valid", "test"):  # the small splits keep their texts there
            return split_texts(data["prepared"], split, rerun_hint(data["prepared"]))
        raw = read_raw_splits(data)
        if split not in raw:
            raise ConfigError(f"split={split!r} is not one of {sorted(raw)}")
        return raw[split]
