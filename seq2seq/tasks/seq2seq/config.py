"""Config schemas of the seq2seq task (``data.kind=parallel``, ``model.kind=seq2seq``) and the rules between
their keys; ``seq2seq.registry`` names them. (Dialog data, the chatbot's, is ``seq2seq.data.dialogs.schema``.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from seq2seq.config import CellImpl, Nonlinearity, TextPairsConfig, choices
from seq2seq.errors import ConfigError
from seq2seq.ranges import ranged

AttentionKind = choices("AttentionKind", "none bahdanau dot general concat")
BridgeKind = choices("BridgeKind", "zero copy dense")
Merge = choices("Merge", "concat sum")


@dataclass
class ParallelDataConfig(TextPairsConfig):
    kind: str = "parallel"
    path: str = "???"
    src_col: int = ranged(0, ge=0)
    tgt_col: int = ranged(1, ge=0)
    reverse: bool = False
    prepared: Optional[str] = None  # a directory written by `python -m seq2seq.prepare` (memory-mapped)


@dataclass
class Seq2SeqModelConfig:
    kind: str = "seq2seq"
    cell: str = "lstm"  # a name in seq2seq.models.cell_types.CELLS (checked by seq2seq.train_config)
    embedding_dim: int = ranged(64, ge=1)
    hidden_size: int = ranged(128, ge=1)  # encoder, per direction
    encoder_layers: int = ranged(1, ge=1)
    decoder_layers: int = ranged(1, ge=1)
    decoder_hidden_size: Optional[int] = ranged(None, ge=1)
    bidirectional: bool = True
    bidirectional_merge: Merge = Merge.concat
    attention: AttentionKind = AttentionKind.general
    input_feed: bool = False
    bridge: BridgeKind = BridgeKind.copy
    dropout: float = ranged(0.1, ge=0, lt=1)
    rnn_nonlinearity: Nonlinearity = Nonlinearity.tanh
    cell_impl: CellImpl = CellImpl.builtin
    recurrent_dropout: float = ranged(0.0, ge=0, lt=1)
    layer_norm: bool = False
    tie_embeddings: bool = False
    share_embeddings: bool = False
    coverage: bool = False
    pretrained_source: Optional[str] = None
    pretrained_target: Optional[str] = None
    freeze_pretrained: bool = False


def model_rules(c: dict) -> None:
    """Keys of ``model.kind=seq2seq`` that depend on each other or on the tokenizer, loss and decoding."""
    model = c["model"]
    memory = model["hidden_size"] * (2 if model["bidirectional"] and model["bidirectional_merge"] == "concat" else 1)
    dec = model["decoder_hidden_size"] or memory
    if model["attention"] == "dot" and dec != memory:
        raise ConfigError(f"model.attention=dot needs model.decoder_hidden_size == encoder output size {memory} "
                          f"(got {dec}); use attention=general or unset decoder_hidden_size")
    options = {"model.coverage": model["coverage"], "loss.coverage_weight": c["loss"]["coverage_weight"],
               "decoding.coverage_penalty": c["decoding"]["coverage_penalty"]}
    for key, value in options.items():
        if value and model["attention"] == "none":
            raise ConfigError(f"{key}={str(value).lower()} needs attention weights: set model.attention to one of "
                              "bahdanau, dot, general, concat")
    if model["share_embeddings"] and not c["tokenizer"]["shared"]:
        raise ConfigError("model.share_embeddings=true needs one vocabulary for both sides: set tokenizer.shared=true")
