"""Validation of ``train``'s config, before any data is read: every section against its schema (the data and
model schemas chosen by ``kind`` through ``seq2seq.registry``), the tokenizer's sides, the shared rules
(``seq2seq.config_rules``) and the rules of the data and model kinds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from seq2seq.config import (
    TRAIN_SCALAR_RANGES,
    TRAIN_SCALARS,
    CallbacksConfig,
    DecodingConfig,
    LoggerConfig,
    LossConfig,
    OptimConfig,
    PathsConfig,
    SchedulerConfig,
    TaskConfig,
    TeacherForcingConfig,
    TrainerConfig,
    validate_sections,
)
from seq2seq.config_rules import check_train_rules
from seq2seq.errors import ConfigError
from seq2seq.models.cell_types import CELLS
from seq2seq.registry import current_kind, kinds_of
from seq2seq.tokenizers import TokenizerConfig, side_configs

if TYPE_CHECKING:  # the inference side reads train_sections() without importing OmegaConf (seq2seq.stored_config)
    from omegaconf import DictConfig


def train_sections() -> dict[str, Any]:
    """Section → schema; ``data`` and ``model`` map each kind to its schema."""
    return {
        "task": TaskConfig,
        "data": {kind: s.load()[0] for kind, s in kinds_of("data").items()},
        "tokenizer": TokenizerConfig,
        "model": {kind: s.load()[0] for kind, s in kinds_of("model").items()},
        "optim": OptimConfig,
        "scheduler": SchedulerConfig,
        "decoding": DecodingConfig,
        "trainer": TrainerConfig,
        "callbacks": CallbacksConfig,
        "logger": LoggerConfig,
        "paths": PathsConfig,
        "loss": LossConfig,
        "teacher_forcing": TeacherForcingConfig,
    }


def validate_train_config(cfg: DictConfig | dict) -> dict:
    """The composed config as a plain dict of validated values (paths made absolute), or one ``ConfigError``."""
    out = validate_sections(cfg, train_sections(), TRAIN_SCALARS, TRAIN_SCALAR_RANGES)
    out["task"]["kind"] = current_kind(out["task"]["kind"])  # an old name (task.kind=tagging) still works
    if "cell" in out["model"] and out["model"]["cell"] not in CELLS:
        raise ConfigError(f"bad value for 'model.cell': Invalid value {out['model']['cell']!r}, expected one of "
                          f"[{', '.join(CELLS)}]")  # worded as OmegaConf words the other choices
    side_configs(out["tokenizer"])  # per-side values and what each kind refuses
    check_train_rules(out)
    for group in ("data", "model"):
        rules = kinds_of(group)[out[group]["kind"]].load()[1]
        if rules is not None:
            rules(out)
    out["data"] = absolute_paths(out["data"])
    return out


def absolute_paths(data: dict) -> dict:
    """User paths are relative to where the command ran; the checkpoint must hold absolute ones so
    evaluate/predict work from any directory."""
    from hydra.utils import to_absolute_path

    out = dict(data)
    for key in ("path", "valid_path", "test_path", "prepared"):
        if out.get(key):
            out[key] = str(Path(to_absolute_path(out[key])))
    return out
