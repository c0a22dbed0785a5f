"""The serving settings (``conf/serve.yaml``): one typed schema with ranges, checked before loading."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from seq2seq.errors import ConfigError


def _range(lo: float, hi: float):
    return {"range": (lo, hi)}


@dataclass(frozen=True)
class ServeConfig:
    ckpt_path: str = "???"
    host: str = "127.0.0.1"
    port: int = field(default=8000, metadata=_range(0, 65535))  # 0: any free port
    device: str = "cpu"  # cpu | cuda | cuda:N | auto
    max_batch: int = field(default=32, metadata=_range(1, 4096))
    max_wait_ms: float = field(default=5.0, metadata=_range(0, 10_000))
    max_inputs: int = field(default=64, metadata=_range(1, 100_000))
    max_input_chars: int = field(default=2000, metadata=_range(1, 10_000_000))
    workers: int = field(default=1, metadata=_range(1, 64))


def _check_type(name: str, value, kind: type) -> None:
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise ConfigError(f"config key '{name}' must be {kind.__name__}, got {value!r}")


def serve_config(cfg: DictConfig | dict) -> ServeConfig:
    """``cfg`` checked against ``ServeConfig``: unknown keys (with a suggestion), types, ranges, ``???``."""
    try:
        plain = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    except OmegaConfBaseException as err:
        raise ConfigError(f"cannot resolve the config: {str(err).splitlines()[0]}") from None
    known = {f.name: f for f in fields(ServeConfig)}
    for key in plain:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"unknown config key '{key}'{hint}; allowed keys: {', '.join(known)}")
    values = {}
    for name, spec in known.items():
        value = plain.get(name, spec.default)
        if value == "???":
            raise ConfigError(
                f"config key '{name}' must be set, e.g. {name}=runs/<run>/checkpoints/best.ckpt"
            )
        kind = {"int": int, "float": float, "str": str}[
            spec.type if isinstance(spec.type, str) else spec.type.__name__
        ]
        _check_type(name, value, kind)
        lo, hi = spec.metadata.get("range", (None, None))
        if lo is not None and not lo <= value <= hi:
            raise ConfigError(f"config key '{name}'={value} is out of range; give a value from {lo} to {hi}")
        values[name] = float(value) if kind is float else value
    return ServeConfig(**values)
