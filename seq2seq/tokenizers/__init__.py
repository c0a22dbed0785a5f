"""Tokenizers behind one interface; build them from config, rebuild them from checkpoint state, save them
beside a run."""

from __future__ import annotations

import json
from pathlib import Path

from seq2seq.atomic import atomic_write
from seq2seq.errors import ConfigError
from seq2seq.tokenizers.base import BOS, EOS, PAD, SPECIALS, UNK, Tokenizer
from seq2seq.tokenizers.schema import TokenizerConfig, check_side

# The implementations load on first use: config validation (train --help, a config error) imports this
# package for the specials and the schema, and should not pay for numpy or SentencePiece.
TOKENIZERS = {"char": "seq2seq.tokenizers.char:CharTokenizer", "word": "seq2seq.tokenizers.word:WordTokenizer",
              "sentencepiece": "seq2seq.tokenizers.sentencepiece:SentencePieceTokenizer"}
SIDES = ("source", "target")


def tokenizer_class(kind: str) -> type[Tokenizer]:
    import importlib

    module, name = TOKENIZERS[kind].split(":")
    return getattr(importlib.import_module(module), name)

__all__ = ["BOS", "EOS", "PAD", "SPECIALS", "UNK", "Tokenizer", "TokenizerConfig", "build_tokenizer", "load_tokenizer_file",
           "save_tokenizer_files", "side_configs", "tokenizer_from_state"]


def build_tokenizer(cfg: dict) -> Tokenizer:
    """An unfitted tokenizer from a ``tokenizer`` config section (or one side of it, see ``side_configs``);
    keys left out take the schema's defaults. Keys that do not apply to the kind (``vocab_size`` for
    ``word``, ``max_size`` for ``sentencepiece``) are ignored, so one section can serve two kinds through a
    per-side ``kind`` override."""
    cfg = _validated("tokenizer", {k: v for k, v in cfg.items() if k not in SIDES})
    check_side(cfg)
    if cfg["kind"] == "char":
        return tokenizer_class("char")(min_freq=cfg["min_freq"], max_size=cfg["max_size"])
    if cfg["kind"] == "word":
        return tokenizer_class("word")(min_freq=cfg["min_freq"], max_size=cfg["max_size"], lowercase=cfg["lowercase"])
    return tokenizer_class("sentencepiece")(
        vocab_size=cfg["vocab_size"], model_type=cfg["model_type"], character_coverage=cfg["character_coverage"],
        byte_fallback=cfg["byte_fallback"], user_defined_symbols=cfg["user_defined_symbols"],
        lowercase=cfg["lowercase"],
    )


def _validated(name: str, section: dict) -> dict:
    from seq2seq.config import validate_sections  # config imports OmegaConf; keep this lazy

    return validate_sections({name: section}, {name: TokenizerConfig}, {})[name]


def side_configs(cfg: dict) -> dict[str, dict]:
    """The validated settings of each side: the section's keys, overridden by the keys of its optional
    ``source`` / ``target`` mappings (e.g. ``+tokenizer.target.kind=sentencepiece``), each checked for
    values its kind refuses (``check_side``)."""
    base = {k: v for k, v in cfg.items() if k not in SIDES}
    out = {}
    for side in SIDES:
        override = dict(cfg.get(side) or {})
        fixed = sorted(set(override) & {"shared", *SIDES})
        if fixed:
            raise ConfigError(f"tokenizer.{side}.{fixed[0]} cannot be set per side; set tokenizer.{fixed[0]}")
        if override and cfg.get("shared"):
            raise ConfigError(f"tokenizer.shared=true fits one tokenizer on both sides, so tokenizer.{side} "
                              f"overrides ({', '.join(sorted(override))}) cannot apply; set tokenizer.shared=false")
        out[side] = _validated(f"tokenizer.{side}", {**base, **override})
        check_side(out[side])
    return out


def tokenizer_from_state(state: dict) -> Tokenizer:
    return tokenizer_class(state["kind"]).from_state(state)


def save_tokenizer_files(tokenizers: dict[str, Tokenizer], directory: str | Path) -> list[Path]:
    """Write ``tokenizer_<name>.model`` (a SentencePiece model, loadable by SentencePiece itself) or
    ``tokenizer_<name>.json`` (kind, settings and the vocabulary in id order) for each tokenizer, e.g.
    ``{"source": ..., "target": ...}``. Returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, tok in tokenizers.items():
        state = tok.state()
        if isinstance(state.get("model_proto"), bytes):
            path = directory / f"tokenizer_{name}.model"
            atomic_write(path, state["model_proto"])
        else:
            path = directory / f"tokenizer_{name}.json"
            atomic_write(path, json.dumps(state, ensure_ascii=False, indent=1) + "\n")
        paths.append(path)
    return paths


def load_tokenizer_file(path: str | Path) -> Tokenizer:
    """The tokenizer of a file written by ``save_tokenizer_files``."""
    path = Path(path)
    if path.suffix == ".model":
        return tokenizer_class("sentencepiece").from_state({"model_proto": path.read_bytes()})
    return tokenizer_from_state(json.loads(path.read_text(encoding="utf-8")))
