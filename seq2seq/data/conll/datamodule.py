"""CoNLL data for sequence tagging: read → split → convert tags to the model's scheme → fit vocabularies
on the training split → encode → cache; and the LightningDataModule serving bucketed batches."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import DataLoader, Dataset

from seq2seq.data.base import BatchedDataModule
from seq2seq.data.cache import cache_key, load_or_build
from seq2seq.data.conll.collate import collate_tagging
from seq2seq.data.conll.reader import ConllFormat, Sentence, convert_sentences, read_conll
from seq2seq.data.conll.schemes import entities, tag_set
from seq2seq.data.conll.vocab import EncodedSentences, TaggingVocab
from seq2seq.data.pairs.preparation import LOADER_KEYS
from seq2seq.data.ragged import Ragged
from seq2seq.data.split import Grouping, indices_of, key_hashes, log_overlap, log_split, split_labels
from seq2seq.errors import ConfigError, DataError

log = logging.getLogger(__name__)


def conll_format(data: dict) -> ConllFormat:
    if data["token_col"] == data["tag_col"]:
        raise ConfigError(f"data.token_col and data.tag_col are both {data['token_col']}; they must differ")
    if data["max_word_chars"] < 1:
        raise ConfigError("data.max_word_chars must be >= 1")
    return ConllFormat(data["token_col"], data["tag_col"], data["separator"], data["n_cols"], data["scheme_in"],
                       data["on_error"])


def read_file(data: dict, path: str) -> list[Sentence]:
    sentences, report = read_conll(path, conll_format(data))
    log.info(report.summary())
    if not sentences:
        raise DataError(f"{path}: no sentences read; is it a CoNLL file (token ... tag per line)?")
    return sentences


def read_raw_splits(data: dict) -> dict[str, list[Sentence]]:
    """Sentences of train/valid/test: from the split files when both are given, else a seeded split of
    ``path`` (``valid_size``/``test_size``: a count, or a fraction below 1)."""
    if bool(data["valid_path"]) != bool(data["test_path"]):
        raise ConfigError("set both data.valid_path and data.test_path, or neither (then data.path is split)")
    train = read_file(data, data["path"])
    if data["limit"]:
        train = train[: data["limit"]]
    if data["valid_path"]:
        splits = {"train": train, "valid": read_file(data, data["valid_path"]),
                  "test": read_file(data, data["test_path"])}
        train_keys = sentence_keys(train)
        for name in ("valid", "test"):
            keys = sentence_keys(splits[name])
            log_overlap(name, data[f"{name}_path"], int(np.isin(keys, train_keys).sum()), len(keys), "sentences",
                        "a token sequence")
        return splits
    grouping = sentence_grouping(train)
    labels = split_labels(len(train), data["valid_size"], data["test_size"], data["split_seed"], grouping)
    log_split(data["path"], labels, grouping, "sentences", "groups of one token sequence")
    return {name: [train[i] for i in idx] for name, idx in indices_of(labels).items()}


def sentence_keys(sentences: list[Sentence]) -> np.ndarray:
    return key_hashes(["\x1f".join(s.tokens) for s in sentences])


def sentence_grouping(sentences: list[Sentence]) -> Grouping:
    """NER sentences are grouped by their token sequence, whatever the tags (the same sentence in training and
    test is a leak even when annotated differently); identical tokens and tags are copies."""
    tagged = key_hashes(["\x1f".join(s.tokens) for s in sentences], ["\x1f".join(s.tags) for s in sentences])
    return Grouping.from_hashes(sentence_keys(sentences), tagged)


@dataclass
class TagSplit:
    """Encoded sentences, tag ids in the model's scheme (for the loss), and the gold tags as the file has
    them (``data.scheme_in``: metrics are computed in the file's scheme, as conlleval would on it)."""

    encoded: EncodedSentences
    tags: Ragged
    gold: list[list[str]]

    def __len__(self) -> int:
        return len(self.gold)

    def to_state(self) -> dict:
        return {"encoded": self.encoded.to_state(), "tags": self.tags.to_state(), "gold": self.gold}

    @classmethod
    def from_state(cls, s: dict) -> TagSplit:
        return cls(EncodedSentences.from_state(s["encoded"]), Ragged.from_state(s["tags"]), s["gold"])


def build_vocab(data: dict, train: list[Sentence], train_tags: list[list[str]]) -> TaggingVocab:
    types = sorted({kind for tags in train_tags for _, _, kind in entities(tags)})
    return TaggingVocab.build([s.tokens for s in train], tag_set(types, data["scheme_out"]), data["scheme_out"],
                              data["lowercase"], data["zero_digits"], data["max_word_chars"], data["min_freq"],
                              data["max_size"], data["char_min_freq"])


def encode_split(name: str, vocab: TaggingVocab, sentences: list[Sentence], tags_out: list[list[str]]) -> TagSplit:
    encoded = vocab.encode([s.tokens for s in sentences])
    tags, unseen = vocab.encode_tags(tags_out)
    if encoded.unknown_words:
        log.info("%s: %d of %d tokens are unknown words (mapped to <unk>)", name, encoded.unknown_words,
                 len(encoded.tokens.ids))
    if unseen:
        log.warning("%s: %d tags of entity types absent from the training split count as O in the loss "
                    "(the metrics still score them)", name, unseen)
    return TagSplit(encoded, tags, [s.tags for s in sentences])


def _build(data: dict) -> dict:
    start = time.perf_counter()
    raw = read_raw_splits(data)
    out = {name: convert_sentences(sents, data["scheme_in"], data["scheme_out"]) for name, sents in raw.items()}
    vocab = build_vocab(data, raw["train"], out["train"])
    splits = {name: encode_split(name, vocab, raw[name], out[name]) for name in raw}
    log.info("prepared %s in %.1fs; %d words, %d characters, tags %s", ", ".join(f"{k}={len(v)}" for k, v in
             splits.items()), time.perf_counter() - start, len(vocab.words), len(vocab.chars), " ".join(vocab.tags))
    return {"vocab": vocab.state(), "splits": {k: v.to_state() for k, v in splits.items()}}


def prepare_tagging(data: dict, cache_dir: str | None) -> tuple[TaggingVocab, dict[str, TagSplit]]:
    """Vocabulary and prepared splits, from the cache when the files and settings are unchanged."""
    files = [data["path"]] + [data[k] for k in ("valid_path", "test_path") if data[k]]
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise DataError(f"{missing[0]}: no such file; set data.path (or data.dir) to a CoNLL column file")
    settings = {k: v for k, v in data.items() if k not in LOADER_KEYS}
    # "tagging", not the task kind's current name "ner": renaming the key would only invalidate existing caches.
    key = cache_key(files, {"tagging": settings})
    payload, hit = load_or_build(cache_dir if data["cache"] else None, key, lambda: _build(data))
    if hit:
        log.info("loaded prepared data from cache entry %s", key)
    return TaggingVocab.from_state(payload["vocab"]), {k: TagSplit.from_state(v) for k, v in payload["splits"].items()}


class _Indices(Dataset):
    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i


class _Collate:
    """Picklable collate function of one split (DataLoader workers)."""

    def __init__(self, split: TagSplit):
        self.split = split

    def __call__(self, rows: list[int]) -> dict:
        return collate_tagging(self.split.encoded, rows, self.split.tags)


class ConllDataModule(BatchedDataModule):
    """Bucketed, rank-sharded, mid-epoch-resumable batches of prepared CoNLL splits."""

    def __init__(self, data: dict, tokenizer: dict | None = None, cache_dir: str | None = None, seed: int = 0):
        super().__init__()
        self.data_cfg = data  # the ``tokenizer`` section does not apply: vocabularies come from data.*
        self.cache_dir = cache_dir
        self.seed = seed
        self.vocab: TaggingVocab | None = None
        self.splits: dict[str, TagSplit] = {}

    def setup(self, stage: str | None = None) -> None:
        # Idempotent: train() calls it before building the model (which needs the vocabulary sizes).
        if self.vocab is None:
            self.vocab, self.splits = prepare_tagging(self.data_cfg, self.cache_dir)

    def split(self, name: str) -> TagSplit:
        return self.splits[name]

    def _loader(self, name: str, train: bool) -> DataLoader:
        split, d = self.split(name), self.data_cfg
        return self.batch_loader(
            _Indices(len(split)), split.encoded.tokens.lengths, train=train, collate_fn=_Collate(split),
            batch_size=d["batch_size"] if train else d["eval_batch_size"], data=d,
            batch_by=d["batch_by"] if train else "sentences",
            bucket=d["bucket"] or not train,  # evaluation is always length-sorted: order is restored by index
        )

    @staticmethod
    def eval_sentences(data: dict, split: str, input_path: str | None) -> list[Sentence]:
        """Sentences of a split of the training data, or of another file read the same way."""
        if input_path:
            return read_file(data, input_path)
        if split not in ("train", "valid", "test"):
            raise ConfigError(f"split={split!r} is not one of ['test', 'train', 'valid']")
        if data["valid_path"] and data["test_path"] and split != "train":
            return read_file(data, data[f"{split}_path"])  # its own file: no need to read the others
        return read_raw_splits(data)[split]
