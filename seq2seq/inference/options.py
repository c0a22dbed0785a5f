"""Checks of what a predictor is given: decoding options and inputs, each failing with one line.

The CLIs validate their ``decoding`` section against ``seq2seq.config.DecodingConfig`` with OmegaConf; the
predictors must import neither OmegaConf nor Hydra, so options given in Python (or over HTTP) are checked
here with the same ``seq2seq.ranges`` checks and messages. ``RANGES`` mirrors the ranges declared on
``DecodingConfig`` (tests/unit/inference/test_api.py keeps the two equal); the defaults are the checkpoint's own values.
"""

from __future__ import annotations

from collections.abc import Iterable

from seq2seq.config_rules import check_decoding
from seq2seq.errors import ConfigError, DataError
from seq2seq.ranges import MAX_SEED, Range, check_value, fail

# key: accepted types (``int`` keys refuse bools; float keys take ints too) and, for strings, the choices.
TYPES: dict[str, tuple[type, ...]] = {
    "strategy": (str,), "beam_size": (int,), "n_best": (int,), "length_penalty": (str,), "alpha": (int, float),
    "max_len_ratio": (int, float), "max_len_extra": (int,), "max_len_cap": (int,), "batch_size": (int,),
    "min_len": (int,), "no_repeat_ngram": (int,), "temperature": (int, float), "top_k": (int,),
    "top_p": (int, float), "length": (int,), "seed": (int, type(None)), "coverage_penalty": (int, float),
    "keep_greedy": (bool,), "return_attention": (bool,),
}
CHOICES = {"strategy": ("beam", "sample"), "length_penalty": ("none", "avg", "gnmt")}
RANGES = {
    "beam_size": Range(ge=1), "n_best": Range(ge=1), "alpha": Range(ge=0), "max_len_ratio": Range(ge=0),
    "max_len_extra": Range(ge=0), "max_len_cap": Range(ge=1), "batch_size": Range(ge=1), "min_len": Range(ge=0),
    "no_repeat_ngram": Range(ge=0), "temperature": Range(ge=0), "top_k": Range(ge=0), "top_p": Range(gt=0, le=1),
    "length": Range(ge=1), "seed": Range(ge=0, le=MAX_SEED), "coverage_penalty": Range(ge=0),
}


def check_option(key: str, value) -> None:
    """One decoding option's type, choice and range: ``bad value for 'decoding.beam_size': 0; must be >= 1``."""
    name, types = f"decoding.{key}", TYPES[key]
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        raise fail(name, value, " or ".join("null" if t is type(None) else t.__name__ for t in types))
    if key in CHOICES and value not in CHOICES[key]:
        raise fail(name, value, "one of " + ", ".join(CHOICES[key]))
    if key in RANGES:
        check_value(name, value, RANGES[key], nullable=type(None) in types)


def merge_decoding(defaults: dict, given: dict, keys: Iterable[str]) -> dict:
    """``defaults`` (the checkpoint's decoding values) updated with ``given``; every given key must be in
    ``keys`` and valid, and the merged options must follow the rules between keys."""
    keys = tuple(keys)
    for key, value in given.items():
        if key not in keys:
            raise ConfigError(f"unknown decoding option {key!r}; this model accepts: {', '.join(keys) or 'none'}")
        check_option(key, value)
    merged = {**defaults, **given}
    if {"strategy", "n_best", "beam_size"} <= merged.keys():
        check_decoding(merged)  # the rules between keys, as the CLIs check them
    return merged


def check_inputs(inputs, what: str, item_types: tuple[type, ...] = (str,)) -> list:
    """``inputs`` must be a non-empty list (or tuple) of ``item_types``; returns it as a list."""
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, (list, tuple)):
        raise DataError(f"inputs must be a list of {what}, not {type(inputs).__name__}; wrap one input in a list")
    if not inputs:
        raise DataError(f"inputs is an empty list; give at least one {what.rstrip('s')}")
    for i, item in enumerate(inputs):
        if not isinstance(item, item_types) or isinstance(item, bool):
            raise DataError(f"inputs[{i}] has type {type(item).__name__}; expected one of the {what}")
    return list(inputs)


def check_length(i: int, length: int, limit: int | None, unit: str) -> None:
    """One input's length against the model's limit (what it was trained on)."""
    if limit is not None and length > limit:
        raise DataError(f"inputs[{i}] has {length} {unit}, more than this model's limit of {limit} "
                        "(data.max_len of its training run); split the text")
