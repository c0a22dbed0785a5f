"""Config schemas of the NER task (``data.kind=conll``, ``model.kind=tagger``), named by
``seq2seq.registry``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from seq2seq.config import BucketedLoaderConfig, OnError, choices
from seq2seq.ranges import ranged, split_size

Scheme = choices("Scheme", "iob1 iob2 bioes")
CharEncoderKind = choices("CharEncoderKind", "cnn lstm none")
OutputLayer = choices("OutputLayer", "crf softmax")


@dataclass
class ConllDataConfig(BucketedLoaderConfig):
    kind: str = "conll"
    path: str = "???"  # the training file, or the only file (then split by split_seed)
    valid_path: Optional[str] = None
    test_path: Optional[str] = None
    dir: Optional[str] = None  # a folder the path keys may interpolate (conf/data/conll2003.yaml)
    token_col: int = 0
    tag_col: int = -1  # negative: counted from the last column
    separator: Optional[str] = None  # null: any white space
    n_cols: Optional[int] = ranged(None, ge=2)  # null: as many as the file's first token line
    scheme_in: Scheme = Scheme.iob2  # the files' scheme
    scheme_out: Scheme = Scheme.bioes  # the scheme the model tags in
    lowercase: bool = True  # word lookup (characters keep their case)
    zero_digits: bool = True  # word lookup: every digit becomes 0
    min_freq: int = ranged(1, ge=1)
    max_size: Optional[int] = ranged(None, ge=5)  # word vocabulary cap, the 4 specials included
    char_min_freq: int = ranged(1, ge=1)
    max_word_chars: int = ranged(30, ge=1)  # characters of a token seen by the character encoder
    valid_size: float = split_size(0.1)
    test_size: float = split_size(0.1)
    split_seed: int = 1
    limit: Optional[int] = ranged(None, ge=1)
    on_error: OnError = OnError.error
    batch_size: int = ranged(32, ge=1)  # a key declared again keeps its range only if declared with it
    eval_batch_size: int = ranged(256, ge=1)


@dataclass
class TaggerModelConfig:
    kind: str = "tagger"
    embedding_dim: int = ranged(100, ge=1)
    char_encoder: CharEncoderKind = CharEncoderKind.cnn
    char_dim: int = ranged(30, ge=1)
    char_hidden: int = ranged(100, ge=1)  # CNN filters, or LSTM size per direction
    char_kernel: int = ranged(3, ge=1)
    casing_dim: int = ranged(10, ge=0)  # 0: no casing feature
    cell: str = "lstm"  # a name in seq2seq.models.cell_types.CELLS (checked by seq2seq.train_config)
    hidden_size: int = ranged(100, ge=1)  # per direction
    encoder_layers: int = ranged(1, ge=1)
    packed: bool = False  # true: a PackedSequence through one bidirectional call; false: per-direction calls
    dropout: float = ranged(0.5, ge=0, lt=1)
    word_dropout: float = ranged(0.25, ge=0, lt=1)
    output: OutputLayer = OutputLayer.crf
    constrained: bool = True
    embeddings_path: Optional[str] = None
    freeze_embeddings: bool = False


def data_rules(cfg: dict) -> None:
    from seq2seq.data.conll.datamodule import conll_format  # the data package imports this module's package

    conll_format(cfg["data"])  # token_col != tag_col
