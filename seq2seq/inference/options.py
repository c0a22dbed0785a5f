"""Checks of what a predictor is given: decoding options and inputs, each failing with one line.

The CLIs validate their ``decoding`` section with the Hydra/OmegaConf schema (``seq2seq.config``); the
predictors must not import either, so options given in Python (or over HTTP) are checked here, against
the checkpoint's own decoding values (the defaults) and the ranges below.
"""

from __future__ import annotations

from collections.abc import Iterable

from seq2seq.errors import ConfigError, DataError

# key: (types, allowed values or None, smallest value or None). ``int`` keys refuse bools; floats take ints.
RULES: dict[str, tuple[tuple[type, ...], tuple | None, float | None]] = {
    "strategy": ((str,), ("beam", "sample"), None),
    "beam_size": ((int,), None, 1),
    "n_best": ((int,), None, 1),
    "length_penalty": ((str,), ("none", "avg", "gnmt"), None),
    "alpha": ((int, float), None, 0.0),
    "max_len_ratio": ((int, float), None, 0.0),
    "max_len_extra": ((int,), None, 0),
    "max_len_cap": ((int,), None, 1),
    "batch_size": ((int,), None, 1),
    "min_len": ((int,), None, 0),
    "no_repeat_ngram": ((int,), None, 0),
    "temperature": ((int, float), None, 0.0),
    "top_k": ((int,), None, 0),
    "top_p": ((int, float), None, 0.0),
    "length": ((int,), None, 0),
    "seed": ((int, type(None)), None, None),
    "coverage_penalty": ((int, float), None, 0.0),
    "keep_greedy": ((bool,), None, None),
    "return_attention": ((bool,), None, None),
}


def check_value(key: str, value) -> None:
    types, choices, low = RULES[key]
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
        raise ConfigError(f"decoding option {key}={value!r} must be {names}")
    if choices is not None and value not in choices:
        raise ConfigError(f"decoding option {key}={value!r} is not one of {', '.join(choices)}")
    if low is not None and value is not None and value < low:
        raise ConfigError(f"decoding option {key}={value!r} must be >= {low}")
    if key == "top_p" and not 0 < value <= 1:
        raise ConfigError(f"decoding option top_p={value!r} must be in (0, 1]")


def merge_decoding(defaults: dict, given: dict, keys: Iterable[str]) -> dict:
    """``defaults`` (the checkpoint's decoding values) updated with ``given``; every given key must be in
    ``keys`` and valid. Cross-key rule: ``n_best`` <= ``beam_size``."""
    keys = tuple(keys)
    for key, value in given.items():
        if key not in keys:
            raise ConfigError(f"unknown decoding option {key!r}; this model accepts: {', '.join(keys) or 'none'}")
        check_value(key, value)
    merged = {**defaults, **given}
    if merged.get("n_best", 1) > merged.get("beam_size", 1) and merged.get("strategy", "beam") == "beam":
        raise ConfigError(f"decoding option n_best={merged['n_best']} cannot exceed beam_size={merged['beam_size']}")
    return merged


def check_inputs(inputs, what: str, item_types: tuple[type, ...] = (str,), max_items: int | None = None) -> list:
    """``inputs`` must be a non-empty list (or tuple) of ``item_types``; returns it as a list."""
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, (list, tuple)):
        raise DataError(f"inputs must be a list of {what}, got a {type(inputs).__name__}; wrap one input in a list")
    if not inputs:
        raise DataError(f"inputs is an empty list; give at least one {what.rstrip('s')}")
    if max_items is not None and len(inputs) > max_items:
        raise DataError(f"{len(inputs)} inputs; at most {max_items} per call")
    for i, item in enumerate(inputs):
        if not isinstance(item, item_types) or isinstance(item, bool):
            raise DataError(f"inputs[{i}] is a {type(item).__name__}, not one of the {what}")
    return list(inputs)


def check_length(i: int, length: int, limit: int | None, unit: str) -> None:
    """One input's length against the model's limit (what it was trained on)."""
    if limit is not None and length > limit:
        raise DataError(f"inputs[{i}] has {length} {unit}, more than this model's limit of {limit} "
                        "(data.max_len of its training run); split the text")
