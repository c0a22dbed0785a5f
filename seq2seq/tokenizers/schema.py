"""Config schema of the ``tokenizer`` section and the checks of kind-specific values, without building a
tokenizer (validation runs before any data is read, and must not train or load anything)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from seq2seq.config import choices
from seq2seq.errors import ConfigError
from seq2seq.ranges import ranged

TokenizerKind = choices("TokenizerKind", "char word sentencepiece")
MODEL_TYPES = ("bpe", "unigram", "char", "word")  # SentencePiece's model types


@dataclass
class TokenizerConfig:
    """One section for every kind; keys that do not apply to a kind are ignored by it. ``source`` and
    ``target`` hold per-side overrides of the other keys (not allowed with ``shared``)."""

    kind: TokenizerKind = TokenizerKind.char
    shared: bool = False
    min_freq: int = ranged(1, ge=1)  # char, word
    max_size: Optional[int] = ranged(None, ge=5)  # char, word: vocabulary cap, the 4 specials included
    lowercase: bool = False  # word, sentencepiece
    vocab_size: int = ranged(8000, ge=5)  # sentencepiece: exact number of pieces, specials included
    model_type: str = "bpe"  # sentencepiece: bpe | unigram | char | word
    character_coverage: float = ranged(1.0, gt=0, le=1)  # sentencepiece
    byte_fallback: bool = False  # sentencepiece: unknown characters become UTF-8 byte pieces
    user_defined_symbols: list[str] = field(default_factory=list)  # sentencepiece: never split
    source: dict[str, Any] = field(default_factory=dict)
    target: dict[str, Any] = field(default_factory=dict)


def check_side(cfg: dict) -> None:
    """Values one tokenizer kind refuses (the schema accepts them, since one section serves every kind)."""
    if cfg["kind"] == "char" and cfg["lowercase"]:
        raise ConfigError("tokenizer.lowercase=true is not supported by tokenizer.kind=char; "
                          "use data.lowercase=true to lower-case the text itself")
    if cfg["kind"] == "sentencepiece" and cfg["model_type"] not in MODEL_TYPES:
        raise ConfigError(f"tokenizer.model_type={cfg['model_type']!r} is unknown; choose one of {list(MODEL_TYPES)}")
