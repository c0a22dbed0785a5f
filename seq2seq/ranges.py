"""Allowed ranges of config values, declared on the schema fields and checked by one function.

A schema field says what it accepts next to its default::

    hidden_size: int = ranged(256, ge=1)
    dropout: float = ranged(0.0, ge=0, lt=1)
    max_steps: int = ranged(-1, ge=1, also=(-1,))          # -1: no limit
    betas: list[float] = ranged(factory=lambda: [0.9, 0.999], each=True, ge=0, lt=1)
    val_check_interval: Any = ranged(1.0, test=_is_interval, text="a fraction in (0, 1] or ...")

``check_ranges`` walks a validated section (nested dataclasses included) and raises one ``ConfigError`` per
bad value: ``bad value for 'model.hidden_size': -5; must be >= 1``. ``null`` passes wherever the field's
type is ``Optional`` (OmegaConf has already refused it elsewhere). ``complete_section`` fills a stored
section's missing keys with the schema's defaults (a checkpoint from before a key existed). This module
imports nothing of the package but its errors, so every schema module can use it.
"""

from __future__ import annotations

import functools
import math
import typing
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from enum import Enum
from typing import Any

from seq2seq.errors import ConfigError


@dataclass(frozen=True)
class Range:
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    also: tuple = ()  # special values accepted besides the range (-1: no limit)
    each: bool = False  # the value is a list; every item must be in the range
    test: Callable[[Any], bool] | None = None  # a custom predicate instead of the bounds
    text: str = ""  # how to say what ``test`` accepts

    def accepts(self, value: Any) -> bool:
        if self.each:
            return isinstance(value, list) and all(self._one(v) for v in value)
        return self._one(value)

    def _one(self, v: Any) -> bool:
        if self.test is not None:
            return bool(self.test(v))
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        if v in self.also and not isinstance(v, bool):
            return True
        if isinstance(v, float) and not math.isfinite(v):
            return False
        return ((self.ge is None or v >= self.ge) and (self.gt is None or v > self.gt)
                and (self.le is None or v <= self.le) and (self.lt is None or v < self.lt))

    def describe(self) -> str:
        """``>= 1``, ``in [0, 1)``, ``-1 or >= 1``, or ``text``."""
        if self.test is not None:
            return self.text
        low = f"[{_num(self.ge)}" if self.ge is not None else f"({_num(self.gt)}" if self.gt is not None else None
        high = f"{_num(self.le)}]" if self.le is not None else f"{_num(self.lt)})" if self.lt is not None else None
        if low and high:
            bounds = f"in {low}, {high}"
        elif low:
            bounds = (">= " if low[0] == "[" else "> ") + low[1:]
        else:
            bounds = ("<= " if high[-1] == "]" else "< ") + high[:-1]
        return " or ".join([*(_num(v) for v in self.also), bounds])


def ranged(default: Any = MISSING, *, factory: Callable[[], Any] | None = None, **bounds: Any) -> Any:
    """A dataclass field with ``default`` (or ``factory``) whose values must lie in ``Range(**bounds)``."""
    meta = {"range": Range(**{k: tuple(v) if k == "also" else v for k, v in bounds.items()})}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def shown(value: Any) -> str:
    """A value as it is typed on the command line: true, null, 0.5, [1, 2]."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    return _num(value) if isinstance(value, float) else str(value)


def _num(x: Any) -> str:
    return format(x, "g") if isinstance(x, float) else str(x)


def fail(key: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"bad value for '{key}': {shown(value)}; must be {allowed}")


def check_value(key: str, value: Any, rng: Range, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not rng.accepts(value):
        each = "a list whose items are each " if rng.each else ""
        raise fail(key, value, each + rng.describe() + (" or null" if nullable else ""))


@functools.cache
def _hints(schema: type) -> dict[str, Any]:
    return typing.get_type_hints(schema)


def _nullable(schema: type, name: str) -> bool:
    return type(None) in typing.get_args(_hints(schema).get(name))


def check_ranges(section: str, schema: type, values: dict) -> None:
    """Every ranged field of ``schema`` (recursing into nested schemas) in the plain dict ``values``."""
    for f in fields(schema):
        value = values.get(f.name)
        hint = _hints(schema).get(f.name)
        if is_dataclass(hint) and isinstance(value, dict):
            check_ranges(f"{section}.{f.name}", hint, value)
        elif "range" in f.metadata:
            check_value(f"{section}.{f.name}", value, f.metadata["range"], _nullable(schema, f.name))


def is_split_size(v: Any) -> bool:
    """A split size: a fraction in [0, 1) or a whole count >= 1."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return False
    return 0 <= v < 1 or (v >= 1 and float(v).is_integer())


SPLIT_SIZE = "a fraction in [0, 1) or a whole count >= 1"


def is_positive_split_size(v: Any) -> bool:
    return is_split_size(v) and v > 0


POSITIVE_SPLIT_SIZE = "a fraction in (0, 1) or a whole count >= 1"
MAX_SEED = 2**32 - 1  # numpy's and Lightning's bound; outside it Lightning picks a random seed


# -- the ``lightning.Trainer`` arguments that take several forms ------------------------------------------
def is_batches(zero: bool) -> Callable[[Any], bool]:
    """A fraction of the batches (float in (0, 1], or [0, 1] with ``zero``), a number of batches (int >= 1,
    or >= 0 with ``zero``), or null."""

    def test(v: Any) -> bool:
        if v is None:
            return True
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        if isinstance(v, float):
            return (0 <= v <= 1) if zero else (0 < v <= 1)
        return v >= (0 if zero else 1)

    return test


def batches_text(zero: bool) -> str:
    low, count = ("[0", 0) if zero else ("(0", 1)
    return f"a fraction of the batches in {low}, 1], a number of batches >= {count}, or null"


def is_devices(v: Any) -> bool:
    """Lightning's ``devices``: auto, a count, -1 (all), a list of ids, or the same as a string ("0,1")."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return v >= 1 or v == -1
    if isinstance(v, list):
        return bool(v) and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v)
    if isinstance(v, str):
        v = v.strip()
        if "," in v:  # a list of device ids
            parts = [p.strip() for p in v.split(",") if p.strip()]
            return bool(parts) and all(p.isdigit() for p in parts)
        return v in ("auto", "-1") or (v.isdigit() and int(v) >= 1)
    return False


def is_duration(v: Any) -> bool:
    """Lightning's ``max_time`` string, DD:HH:MM:SS."""
    parts = v.split(":") if isinstance(v, str) else []
    return len(parts) == 4 and all(p.isdigit() for p in parts)


def split_size(default: float, positive: bool = False) -> Any:
    """A field sizing a split: a fraction (below 1) of the examples, or their count (``positive``: not 0)."""
    if positive:
        return ranged(default, test=is_positive_split_size, text=POSITIVE_SPLIT_SIZE)
    return ranged(default, test=is_split_size, text=SPLIT_SIZE)


REQUIRED = "???"  # OmegaConf's MISSING: a key the user must set (data.path)


def _raw_default(f: Field) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def complete_section(stored: dict, schema: type) -> dict:
    """``stored`` with the schema's default for each key it lacks (nested sections completed the same way);
    a stored value always wins, keys the schema no longer has are kept, required keys are never invented."""
    out = dict(stored)
    for f in fields(schema):
        default = _raw_default(f)
        if is_dataclass(default):  # a nested section (callbacks.early_stopping ...)
            if isinstance(out.get(f.name, {}), dict):
                out[f.name] = complete_section(out.get(f.name, {}), type(default))
        elif f.name not in out and default is not MISSING and default != REQUIRED:
            out[f.name] = default.value if isinstance(default, Enum) else default
    return out
