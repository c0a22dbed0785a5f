"""The ``bench`` config section, validated here; every other section is validated as ``seq2seq.train``
validates it, so the bench measures the run that ``train`` would make with the same overrides."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

import torch
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from seq2seq.config import validate_sections
from seq2seq.errors import ConfigError
from seq2seq.ranges import ranged
from seq2seq.train_config import validate_train_config

BenchDevice = Enum("BenchDevice", {v: v for v in ("auto", "cpu", "cuda")})


@dataclass
class BenchConfig:
    # Optional[...] rather than `X | None`: OmegaConf's structured configs read the typing form.
    warmup_steps: int = ranged(10, ge=0)  # a multiple of window
    steps: int = ranged(40, ge=1)  # at least one window
    window: int = ranged(5, ge=1)
    train_pairs: Optional[int] = ranged(50000, ge=1)  # noqa: UP045
    decode_sentences: int = ranged(2000, ge=1)
    force_len: int = ranged(100, ge=0)
    beam_size: int = ranged(5, ge=1)
    reference: bool = True
    device: BenchDevice = BenchDevice.auto
    threads: int = ranged(0, ge=0)  # 0: as torch chooses
    out: Optional[str] = None  # noqa: UP045


def split_config(cfg: DictConfig | dict) -> tuple[dict, dict]:
    """(validated training config, validated bench section)."""
    try:
        plain = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    except OmegaConfBaseException as err:
        raise ConfigError(f"cannot resolve the config: {str(err).splitlines()[0]}") from None
    bench = validate_sections({"bench": plain.pop("bench", {})}, {"bench": BenchConfig}, {})["bench"]
    _check(bench)
    train_cfg = validate_train_config(plain)
    if train_cfg["task"]["kind"] != "seq2seq":
        raise ConfigError(f"the bench measures sequence-to-sequence tasks; task.kind={train_cfg['task']['kind']!r}")
    return train_cfg, bench


def _check(b: dict) -> None:
    """Rules between bench keys (the ranges of single keys are on the fields)."""
    if b["steps"] < b["window"]:
        raise ConfigError(f"bench.steps={b['steps']} must be at least one bench.window={b['window']}")
    if b["warmup_steps"] % b["window"]:
        raise ConfigError(f"bench.warmup_steps={b['warmup_steps']} must be a multiple of bench.window={b['window']}")


def bench_device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError("bench.device=cuda but torch sees no CUDA device; use bench.device=cpu or auto")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


def for_device(train_cfg: dict, device: torch.device) -> dict:
    """One device, one process: the bench times a single-device run whatever trainer.* says."""
    trainer = dict(train_cfg["trainer"], accelerator="gpu" if device.type == "cuda" else "cpu", devices=1,
                   strategy="auto", num_nodes=1)
    return {**train_cfg, "trainer": trainer}
