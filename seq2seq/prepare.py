"""``python -m seq2seq.prepare data=... tokenizer=... data.prepared=<dir>``: tokenise a parallel corpus once
into memory-mapped arrays that training reads with the same overrides (see ``seq2seq.data.pairs.stream_preparation``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import hydra
from omegaconf import DictConfig

from seq2seq.cli import one_line_errors
from seq2seq.config import validate_sections
from seq2seq.config_rules import check_data_sizes
from seq2seq.data.pairs.stream_preparation import prepare_to_dir
from seq2seq.errors import ConfigError
from seq2seq.hydra_schemas import config_dir
from seq2seq.ranges import ranged
from seq2seq.tasks.seq2seq.config import ParallelDataConfig
from seq2seq.tokenizers import TokenizerConfig, side_configs
from seq2seq.train_config import absolute_paths

log = logging.getLogger("seq2seq.prepare")


@dataclass
class PrepareConfig:
    chunk_pairs: int = ranged(100_000, ge=1)
    sentencepiece_sample_pairs: int = ranged(1_000_000, ge=1)


@dataclass
class PreparePathsConfig:
    root_dir: str = "???"
    data_dir: str = "???"


def validate_prepare_config(cfg: DictConfig | dict) -> dict:
    kind = cfg["data"].get("kind")
    if kind != "parallel":
        raise ConfigError(f"seq2seq.prepare reads data.kind=parallel corpora, not data.kind={kind!r}")
    sections = {"data": ParallelDataConfig, "tokenizer": TokenizerConfig, "paths": PreparePathsConfig,
                "prepare": PrepareConfig}
    out = validate_sections(cfg, sections, {})  # types, choices and the ranges declared on the fields
    check_data_sizes(out["data"])
    side_configs(out["tokenizer"])  # kind-specific values and per-side ranges, before the corpus is read
    out["data"] = absolute_paths(out["data"])
    return out


def prepare(cfg: DictConfig | dict) -> dict:
    """Validate, then write ``data.prepared``; returns its manifest."""
    c = validate_prepare_config(cfg)
    return prepare_to_dir(c["data"], c["tokenizer"], **c["prepare"])


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="prepare")
@one_line_errors
def main(cfg: DictConfig) -> None:
    prepare(cfg)


if __name__ == "__main__":
    main()
