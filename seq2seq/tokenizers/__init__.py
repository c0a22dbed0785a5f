"""Tokenizers behind one interface; build them from config, rebuild them from checkpoint state."""

from __future__ import annotations

from seq2seq.errors import ConfigError
from seq2seq.tokenizers.base import BOS, EOS, PAD, SPECIALS, UNK, Tokenizer
from seq2seq.tokenizers.char import CharTokenizer

TOKENIZERS: dict[str, type[Tokenizer]] = {"char": CharTokenizer}

__all__ = ["BOS", "EOS", "PAD", "SPECIALS", "UNK", "Tokenizer", "build_tokenizer", "tokenizer_from_state"]


def build_tokenizer(cfg: dict) -> Tokenizer:
    """An unfitted tokenizer from a ``tokenizer`` config section (keys other than ``kind``/``shared``
    are constructor arguments)."""
    kind = cfg["kind"]
    if kind not in TOKENIZERS:
        raise ConfigError(f"tokenizer.kind={kind!r} is unknown; choose one of {sorted(TOKENIZERS)}")
    if kind == "char":
        return CharTokenizer(min_freq=cfg.get("min_freq", 1), max_size=cfg.get("max_size"))
    raise ConfigError(f"tokenizer.kind={kind!r} has no builder")


def tokenizer_from_state(state: dict) -> Tokenizer:
    return TOKENIZERS[state["kind"]].from_state(state)
