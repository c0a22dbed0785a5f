"""Typed schemas for every config section, and the validation that runs before any data is read.

Hydra composes plain YAML from ``conf/``; ``validate_config`` then merges each section into its
dataclass schema (the schema is chosen by the section's ``kind`` where a group has several kinds), so a
misspelled key, a wrong type or a value outside a choice fails at once with a one-line message that
names the key and what is allowed. The result is a plain dict: the only form the rest of the code and
the checkpoints ever see.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Optional

from seq2seq.errors import ConfigError
from seq2seq.ranges import (MAX_SEED, Range, batches_text, check_ranges, check_value, is_batches, is_devices,
                            is_duration, ranged, split_size)

if TYPE_CHECKING:  # OmegaConf and Hydra are imported where validation uses them: the schemas are also read
    from omegaconf import DictConfig  # by the tokenizers and the inference side, which import neither.


def choices(name: str, values: str) -> type[Enum]:
    return Enum(name, {v: v for v in values.split()})


Nonlinearity = choices("Nonlinearity", "tanh relu")
CellImpl = choices("CellImpl", "builtin reference")
Normalization = choices("Normalization", "none nfc nfkc nfd nfkd")
OnError = choices("OnError", "error skip")
BatchBy = choices("BatchBy", "sentences tokens")
Mode = choices("Mode", "min max")
OptimName = choices("OptimName", "adam adamw sgd")
SchedulerName = choices("SchedulerName", "none plateau cosine step inverse_sqrt")
LengthPenalty = choices("LengthPenalty", "none avg gnmt")
Strategy = choices("Strategy", "beam sample")
OnNonFinite = choices("OnNonFinite", "error skip")
TFSchedule = choices("TFSchedule", "constant linear exponential inverse_sigmoid")
ClipAlgorithm = choices("ClipAlgorithm", "norm value")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")


@dataclass
class TaskConfig:
    name: str = "translation"
    kind: str = "seq2seq"
    monitor: str = "val/chrf"
    mode: Mode = Mode.max


@dataclass
class BucketedLoaderConfig:
    """The loader keys of every data kind batched by the length-bucketing sampler (a kind may change the
    defaults by declaring a key again)."""

    batch_size: int = ranged(64, ge=1)
    batch_by: BatchBy = BatchBy.sentences
    eval_batch_size: int = ranged(128, ge=1)
    bucket: bool = True
    num_workers: int = ranged(0, ge=0)
    pin_memory: bool = True
    cache: bool = True


@dataclass
class TextPairsConfig(BucketedLoaderConfig):
    """The keys of every data kind made of (input text, output text) pairs: translation's parallel files and
    the chatbot's dialogs share how they are normalised, filtered by length and split."""

    valid_path: Optional[str] = None  # with test_path: explicit split files instead of a seeded split
    test_path: Optional[str] = None
    normalize: Normalization = Normalization.nfc
    lowercase: bool = False
    min_len: int = ranged(1, ge=0)
    max_len: int = ranged(200, ge=1)
    valid_size: float = split_size(0.05)
    test_size: float = split_size(0.05)
    split_seed: int = 1
    limit: Optional[int] = ranged(None, ge=1)  # use only the first N training pairs
    on_error: OnError = OnError.error  # malformed lines/entries: stop, or skip and count



def _two_betas(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(Range(ge=0, lt=1).accepts(b) for b in v)


@dataclass
class OptimConfig:
    name: OptimName = OptimName.adam
    lr: float = ranged(2e-3, gt=0)  # suits the small default models; the Tatoeba recipe sets 0.001
    weight_decay: float = ranged(0.0, ge=0)
    betas: list[float] = ranged(factory=lambda: [0.9, 0.999], test=_two_betas, text="two numbers in [0, 1)")
    momentum: float = ranged(0.0, ge=0, lt=1)
    fused: bool = True


@dataclass
class SchedulerConfig:
    name: SchedulerName = SchedulerName.none
    warmup_steps: int = ranged(0, ge=0)
    factor: float = ranged(0.5, gt=0, lt=1)  # plateau and step: the lr is multiplied by it
    patience: int = ranged(2, ge=0)
    step_size: int = ranged(10, ge=1)
    min_lr: float = ranged(0.0, ge=0)


@dataclass
class DecodingConfig:
    strategy: Strategy = Strategy.beam
    beam_size: int = ranged(5, ge=1)
    n_best: int = ranged(1, ge=1)
    length_penalty: LengthPenalty = LengthPenalty.gnmt
    alpha: float = ranged(0.6, ge=0)
    max_len_ratio: float = ranged(2.0, ge=0)
    max_len_extra: int = ranged(10, ge=0)
    max_len_cap: int = ranged(512, ge=1)
    val_beam_size: int = ranged(1, ge=1)
    batch_size: int = ranged(64, ge=1)
    min_len: int = ranged(0, ge=0)
    no_repeat_ngram: int = ranged(0, ge=0)
    temperature: float = ranged(1.0, ge=0)  # 0: greedy
    top_k: int = ranged(0, ge=0)  # 0: all tokens
    top_p: float = ranged(1.0, gt=0, le=1)
    length: int = ranged(200, ge=1)
    seed: Optional[int] = ranged(None, ge=0, le=MAX_SEED)
    coverage_penalty: float = ranged(0.0, ge=0)
    keep_greedy: bool = True


@dataclass
class TrainerConfig:
    """The keys of ``lightning.Trainer`` that conf/trainer sets, with the values Lightning accepts."""

    accelerator: str = ranged("auto", test=lambda v: v in ACCELERATORS, text=" | ".join(ACCELERATORS))
    devices: Any = ranged("auto", test=is_devices, text="auto, a count >= 1, -1 (all) or a list of device ids")
    strategy: str = "auto"
    num_nodes: int = ranged(1, ge=1)
    precision: str = "32-true"  # one of PRECISIONS (config_rules.check_trainer)
    max_epochs: Optional[int] = ranged(30, ge=1, also=(-1,))  # -1: no limit
    max_steps: int = ranged(-1, ge=1, also=(-1,))  # -1: no limit
    max_time: Optional[str] = ranged(None, test=is_duration, text="a duration DD:HH:MM:SS, e.g. 00:01:30:00")
    min_epochs: Optional[int] = ranged(None, ge=0)
    val_check_interval: Any = ranged(1.0, test=lambda v: is_batches(zero=False)(v) or is_duration(v),
                                     text="a fraction of an epoch in (0, 1], a number of batches >= 1 or a "
                                          "duration DD:HH:MM:SS")
    check_val_every_n_epoch: Optional[int] = ranged(1, ge=1)
    log_every_n_steps: int = ranged(10, ge=1)
    gradient_clip_val: Optional[float] = ranged(1.0, ge=0)
    gradient_clip_algorithm: ClipAlgorithm = ClipAlgorithm.norm
    accumulate_grad_batches: int = ranged(1, ge=1)
    deterministic: Any = ranged(False, test=lambda v: isinstance(v, bool) or v == "warn",
                                text="true, false or warn")
    benchmark: Optional[bool] = None
    enable_progress_bar: bool = True
    limit_train_batches: Any = ranged(None, test=is_batches(zero=False), text=batches_text(zero=False))
    limit_val_batches: Any = ranged(None, test=is_batches(zero=True), text=batches_text(zero=True))
    limit_test_batches: Any = ranged(None, test=is_batches(zero=True), text=batches_text(zero=True))
    num_sanity_val_steps: int = ranged(2, ge=0, also=(-1,))  # -1: the whole validation set


@dataclass
class EarlyStoppingConfig:
    enabled: bool = True
    patience: int = ranged(5, ge=0)
    min_delta: float = ranged(0.0, ge=0)


@dataclass
class EmaConfig:
    decay: Optional[float] = ranged(None, gt=0, lt=1, also=(0,))  # null or 0: no EMA of the weights
    every_n_steps: int = ranged(1, ge=1)


@dataclass
class CallbacksConfig:
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    save_last: bool = True
    lr_monitor: bool = True
    checkpoint_every_n_steps: int = ranged(0, ge=0)  # 0: off
    keep_last_n: int = ranged(0, ge=0)  # checkpoints/step-<N>.ckpt of the last N validations (seq2seq.average)
    ema: EmaConfig = field(default_factory=EmaConfig)


@dataclass
class LoggerConfig:
    tensorboard: bool = True
    samples: int = ranged(5, ge=0)
    attention_heatmap: bool = True
    histograms: bool = False
    histogram_every_n_steps: int = ranged(100, ge=1)


@dataclass
class PathsConfig:
    root_dir: str = "???"
    data_dir: str = "???"
    output_dir: str = "???"
    cache_dir: Optional[str] = None


@dataclass
class TeacherForcingConfig:
    """Sequence-to-sequence tasks: probability of feeding the gold previous token in training (1.0 = teacher
    forcing). Below 1 the model's own prediction is fed otherwise (scheduled sampling, a per-step loop).
    schedule: constant | linear (ratio - step/k) | exponential (ratio * 0.5^(step/k)) |
    inverse_sigmoid (ratio * k/(k + exp(step/k))); never below min_ratio."""

    ratio: float = ranged(1.0, ge=0, le=1)
    schedule: TFSchedule = TFSchedule.constant
    k: float = ranged(1000.0, gt=0)
    min_ratio: float = ranged(0.0, ge=0, le=1)


@dataclass
class LossConfig:
    label_smoothing: float = ranged(0.0, ge=0, lt=1)
    on_nonfinite: OnNonFinite = OnNonFinite.error  # error: stop with a message | skip: drop the batch and count it
    coverage_weight: float = ranged(0.0, ge=0)  # seq2seq with attention: weight of sum_t sum_i min(a_t,i, c_t,i)


TRAIN_SCALARS = {"seed": int, "ckpt_path": (str, type(None)), "resume": (str, type(None)), "test_after_fit": bool}
TRAIN_SCALAR_RANGES = {"seed": Range(ge=0, le=MAX_SEED)}


def _suggest(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{hint}; allowed keys: {', '.join(sorted(allowed))}"


def _schema_for(section: str, spec: Any, value: Any) -> type:
    if not isinstance(spec, dict):
        return spec
    kind = value.get("kind") if isinstance(value, dict) else None
    if kind not in spec:
        raise ConfigError(f"{section}.kind={kind!r} is not one of {sorted(spec)}")
    return spec[kind]


def _validate_section(section: str, schema: type, value: Any) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"config section '{section}' must be a mapping, got {value!r}")
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    allowed = [f.name for f in fields(schema)]
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), value)
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or getattr(err, "key", None) or "?"
        leaf = str(key).split(".")[-1]
        msg = str(err).splitlines()[0]
        if "not in" in msg or "not found" in msg:
            raise ConfigError(f"unknown config key '{section}.{key}'{_suggest(leaf, allowed)}") from None
        raise ConfigError(f"bad value for '{section}.{key}': {msg}") from None
    missing = sorted(OmegaConf.missing_keys(merged))
    if missing:
        raise ConfigError(f"config key '{section}.{missing[0]}' must be set (e.g. {section}.{missing[0]}=...)")
    out = OmegaConf.to_container(merged, resolve=True, enum_to_str=True)
    check_ranges(section, schema, out)
    return out


def validate_sections(cfg: DictConfig | dict, sections: dict[str, Any], scalars: dict[str, Any],
                      scalar_ranges: dict[str, Range] | None = None) -> dict:
    """Resolve, then check every section against its schema (types, choices, ranges) and every top-level
    scalar's type (and its range in ``scalar_ranges``)."""
    from omegaconf import DictConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        plain = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    except OmegaConfBaseException as err:
        raise ConfigError(f"cannot resolve the config: {str(err).splitlines()[0]}") from None
    unknown = [k for k in plain if k not in sections and k not in scalars]
    if unknown:
        raise ConfigError(f"unknown top-level config key '{unknown[0]}'{_suggest(unknown[0], [*sections, *scalars])}")
    out = {}
    for name, spec in sections.items():
        value = plain.get(name, {})
        out[name] = _validate_section(name, _schema_for(name, spec, value), value)
    for name, types in scalars.items():
        value = plain.get(name)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise ConfigError(f"config key '{name}' has the wrong type: {value!r}")
        if name in (scalar_ranges or {}):
            check_value(name, value, scalar_ranges[name], nullable=type(None) in _as_tuple(types))
        out[name] = value
    return out


def _as_tuple(types: Any) -> tuple:
    return types if isinstance(types, tuple) else (types,)
