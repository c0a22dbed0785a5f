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
from pathlib import Path
from typing import Any, Optional

from hydra.utils import to_absolute_path
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from seq2seq.errors import ConfigError
from seq2seq.resources import project_root  # noqa: F401  (registers ${seq2seq_root:}: paths.root_dir)


def _choices(name: str, values: str) -> type[Enum]:
    return Enum(name, {v: v for v in values.split()})


Cell = _choices("Cell", "rnn lstm gru")
AttentionKind = _choices("AttentionKind", "none bahdanau dot general concat")
BridgeKind = _choices("BridgeKind", "zero copy dense")
Merge = _choices("Merge", "concat sum")
Nonlinearity = _choices("Nonlinearity", "tanh relu")
CellImpl = _choices("CellImpl", "builtin reference")
Normalization = _choices("Normalization", "none nfc nfkc nfd nfkd")
OnError = _choices("OnError", "error skip")
BatchBy = _choices("BatchBy", "sentences tokens")
Mode = _choices("Mode", "min max")
TokenizerKind = _choices("TokenizerKind", "char word sentencepiece")
OptimName = _choices("OptimName", "adam adamw sgd")
SchedulerName = _choices("SchedulerName", "none plateau cosine step inverse_sqrt")
LengthPenalty = _choices("LengthPenalty", "none avg gnmt")
Strategy = _choices("Strategy", "beam sample")
OnNonFinite = _choices("OnNonFinite", "error skip")
TFSchedule = _choices("TFSchedule", "constant linear exponential inverse_sigmoid")
ClipAlgorithm = _choices("ClipAlgorithm", "norm value")


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

    batch_size: int = 64
    batch_by: BatchBy = BatchBy.sentences
    eval_batch_size: int = 128
    bucket: bool = True
    num_workers: int = 0
    pin_memory: bool = True
    cache: bool = True


@dataclass
class ParallelDataConfig(BucketedLoaderConfig):
    kind: str = "parallel"
    path: str = "???"
    valid_path: Optional[str] = None
    test_path: Optional[str] = None
    src_col: int = 0
    tgt_col: int = 1
    reverse: bool = False
    normalize: Normalization = Normalization.nfc
    lowercase: bool = False
    min_len: int = 1
    max_len: int = 200
    valid_size: float = 0.05
    test_size: float = 0.05
    split_seed: int = 1
    limit: Optional[int] = None
    on_error: OnError = OnError.error
    prepared: Optional[str] = None  # a directory written by `python -m seq2seq.prepare` (memory-mapped)


@dataclass
class TokenizerConfig:
    """One section for every kind; keys that do not apply to a kind are ignored by it. ``source`` and
    ``target`` hold per-side overrides of the other keys (not allowed with ``shared``)."""

    kind: TokenizerKind = TokenizerKind.char
    shared: bool = False
    min_freq: int = 1  # char, word
    max_size: Optional[int] = None  # char, word: vocabulary cap, specials included
    lowercase: bool = False  # word, sentencepiece
    vocab_size: int = 8000  # sentencepiece: exact number of pieces, specials included
    model_type: str = "bpe"  # sentencepiece: bpe | unigram | char | word
    character_coverage: float = 1.0  # sentencepiece
    byte_fallback: bool = False  # sentencepiece: unknown characters become UTF-8 byte pieces
    user_defined_symbols: list[str] = field(default_factory=list)  # sentencepiece: never split
    source: dict[str, Any] = field(default_factory=dict)
    target: dict[str, Any] = field(default_factory=dict)


@dataclass
class Seq2SeqModelConfig:
    kind: str = "seq2seq"
    cell: Cell = Cell.lstm
    embedding_dim: int = 128
    hidden_size: int = 256
    encoder_layers: int = 2
    decoder_layers: int = 2
    decoder_hidden_size: Optional[int] = None
    bidirectional: bool = True
    bidirectional_merge: Merge = Merge.concat
    attention: AttentionKind = AttentionKind.general
    input_feed: bool = False
    bridge: BridgeKind = BridgeKind.copy
    dropout: float = 0.0
    rnn_nonlinearity: Nonlinearity = Nonlinearity.tanh
    cell_impl: CellImpl = CellImpl.builtin
    recurrent_dropout: float = 0.0
    layer_norm: bool = False
    tie_embeddings: bool = False
    share_embeddings: bool = False
    coverage: bool = False
    pretrained_source: Optional[str] = None
    pretrained_target: Optional[str] = None
    freeze_pretrained: bool = False


@dataclass
class OptimConfig:
    name: OptimName = OptimName.adam
    lr: float = 1e-3
    weight_decay: float = 0.0
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    momentum: float = 0.0
    fused: bool = True


@dataclass
class SchedulerConfig:
    name: SchedulerName = SchedulerName.none
    warmup_steps: int = 0
    factor: float = 0.5
    patience: int = 2
    step_size: int = 10
    min_lr: float = 0.0


@dataclass
class DecodingConfig:
    strategy: Strategy = Strategy.beam
    beam_size: int = 5
    n_best: int = 1
    length_penalty: LengthPenalty = LengthPenalty.gnmt
    alpha: float = 0.6
    max_len_ratio: float = 2.0
    max_len_extra: int = 10
    max_len_cap: int = 512
    val_beam_size: int = 1
    batch_size: int = 64
    min_len: int = 0
    no_repeat_ngram: int = 0
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    length: int = 200
    seed: Optional[int] = None
    coverage_penalty: float = 0.0
    keep_greedy: bool = True


@dataclass
class TrainerConfig:
    accelerator: str = "auto"
    devices: Any = "auto"
    strategy: str = "auto"
    num_nodes: int = 1
    precision: str = "32-true"
    max_epochs: Optional[int] = 10
    max_steps: int = -1
    max_time: Optional[str] = None
    min_epochs: Optional[int] = None
    val_check_interval: Any = 1.0
    check_val_every_n_epoch: Optional[int] = 1
    log_every_n_steps: int = 10
    gradient_clip_val: Optional[float] = 1.0
    gradient_clip_algorithm: ClipAlgorithm = ClipAlgorithm.norm
    accumulate_grad_batches: int = 1
    deterministic: Any = False
    benchmark: Optional[bool] = None
    enable_progress_bar: bool = True
    limit_train_batches: Any = None
    limit_val_batches: Any = None
    limit_test_batches: Any = None
    num_sanity_val_steps: int = 2


@dataclass
class EarlyStoppingConfig:
    enabled: bool = True
    patience: int = 5
    min_delta: float = 0.0


@dataclass
class CallbacksConfig:
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    save_last: bool = True
    lr_monitor: bool = True
    checkpoint_every_n_steps: int = 0


@dataclass
class LoggerConfig:
    tensorboard: bool = True
    samples: int = 5
    attention_heatmap: bool = True
    histograms: bool = False
    histogram_every_n_steps: int = 100


@dataclass
class PathsConfig:
    root_dir: str = "???"
    data_dir: str = "???"
    output_dir: str = "???"
    cache_dir: Optional[str] = None


@dataclass
class TeacherForcingConfig:
    ratio: float = 1.0
    schedule: TFSchedule = TFSchedule.constant
    k: float = 1000.0
    min_ratio: float = 0.0


@dataclass
class LossConfig:
    label_smoothing: float = 0.0
    on_nonfinite: OnNonFinite = OnNonFinite.error
    coverage_weight: float = 0.0


# Groups with several kinds pick their schema by the section's ``kind``. Task modules add theirs with
# ``register_schema`` when ``seq2seq.tasks`` imports them.
DATA_SCHEMAS: dict[str, type] = {"parallel": ParallelDataConfig}
MODEL_SCHEMAS: dict[str, type] = {"seq2seq": Seq2SeqModelConfig}


def register_schema(group: str, kind: str, schema: type) -> None:
    """Make ``<group>.kind=<kind>`` valid, checked against the dataclass ``schema`` (group: data|model)."""
    {"data": DATA_SCHEMAS, "model": MODEL_SCHEMAS}[group][kind] = schema

TRAIN_SECTIONS: dict[str, Any] = {
    "task": TaskConfig,
    "data": DATA_SCHEMAS,
    "tokenizer": TokenizerConfig,
    "model": MODEL_SCHEMAS,
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
TRAIN_SCALARS = {"seed": int, "ckpt_path": (str, type(None)), "resume": (str, type(None)), "test_after_fit": bool}


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
    return OmegaConf.to_container(merged, resolve=True, enum_to_str=True)


def validate_sections(cfg: DictConfig | dict, sections: dict[str, Any], scalars: dict[str, Any]) -> dict:
    """Resolve, then check every section against its schema and every top-level scalar's type."""
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
        if not isinstance(value, types):
            raise ConfigError(f"config key '{name}' has the wrong type: {value!r}")
        out[name] = value
    return out


def validate_train_config(cfg: DictConfig | dict) -> dict:
    import seq2seq.tasks  # noqa: F401  (registers every task's data/model schemas)

    out = validate_sections(cfg, TRAIN_SECTIONS, TRAIN_SCALARS)
    _check_consistency(out)
    out["data"] = absolute_paths(out["data"])
    return out


def absolute_paths(data: dict) -> dict:
    """User paths are relative to where the command ran; the checkpoint must hold absolute ones so
    evaluate/predict work from any directory."""
    out = dict(data)
    for key in ("path", "valid_path", "test_path", "prepared"):
        if out.get(key):
            out[key] = str(Path(to_absolute_path(out[key])))
    return out


def _check_consistency(c: dict) -> None:
    """Relations between keys that no single schema can express."""
    task, model = c["task"], c["model"]
    if not task["monitor"].startswith("val/"):
        raise ConfigError(f"task.monitor={task['monitor']!r} must name a validation metric such as 'val/chrf'")
    if model["kind"] == "seq2seq":
        memory = model["hidden_size"] * (2 if model["bidirectional"] and model["bidirectional_merge"] == "concat" else 1)
        dec = model["decoder_hidden_size"] or memory
        if model["attention"] == "dot" and dec != memory:
            raise ConfigError(f"model.attention=dot needs model.decoder_hidden_size == encoder output size {memory} "
                              f"(got {dec}); use attention=general or unset decoder_hidden_size")
        _check_coverage(c)
    from seq2seq.tokenizers import build_tokenizer, side_configs  # tokenizers import this module

    for side in side_configs(c["tokenizer"]).values():
        build_tokenizer(side)  # checks kind-specific values (model_type, ...) before any data is read
    if model.get("cell_impl") == "builtin" and (model.get("recurrent_dropout", 0) > 0 or model.get("layer_norm")):
        raise ConfigError("model.recurrent_dropout and model.layer_norm need model.cell_impl=reference "
                          "(PyTorch's fused RNNs cannot drop or normalise the recurrent state)")
    if model.get("share_embeddings") and not c["tokenizer"].get("shared"):
        raise ConfigError("model.share_embeddings=true needs one vocabulary for both sides: set tokenizer.shared=true")
    if model.get("layer_norm") and model.get("cell") != "lstm":
        raise ConfigError("model.layer_norm=true is implemented for model.cell=lstm only")
    if c["loss"]["on_nonfinite"] == "skip" and "ddp" in str(c["trainer"]["strategy"]):
        raise ConfigError("loss.on_nonfinite=skip cannot be used with DDP (ranks would disagree on skipped "
                          "batches); use loss.on_nonfinite=error")
    _check_not_multirun_ddp(c)
    _check_precision(c["trainer"])
    _check_histograms(c["logger"])
    dec_cfg = c["decoding"]
    if dec_cfg["n_best"] > dec_cfg["beam_size"]:
        raise ConfigError(f"decoding.n_best={dec_cfg['n_best']} cannot exceed decoding.beam_size={dec_cfg['beam_size']}")
    for key in ("batch_size", "eval_batch_size"):
        if c["data"].get(key, 1) < 1:
            raise ConfigError(f"data.{key} must be >= 1")


def _check_coverage(c: dict) -> None:
    """Coverage options of seq2seq models: each needs attention weights, and none may be negative."""
    options = {"model.coverage": c["model"]["coverage"], "loss.coverage_weight": c["loss"]["coverage_weight"],
               "decoding.coverage_penalty": c["decoding"]["coverage_penalty"]}
    for key, value in options.items():
        shown = str(value).lower()  # as typed on the command line: true, 0.2
        if value < 0:
            raise ConfigError(f"{key}={shown} must be >= 0")
        if value and c["model"]["attention"] == "none":
            raise ConfigError(f"{key}={shown} needs attention weights: set model.attention to one of "
                              "bahdanau, dot, general, concat")


def _check_histograms(logger: dict) -> None:
    if logger["histograms"] and not logger["tensorboard"]:
        raise ConfigError("logger.histograms=true writes TensorBoard histograms: set logger.tensorboard=true")
    if logger["histogram_every_n_steps"] < 1:
        raise ConfigError(f"logger.histogram_every_n_steps={logger['histogram_every_n_steps']} must be >= 1")


PRECISIONS = ("32-true", "32", "bf16-mixed", "16-mixed", "bf16-true", "64-true", "64")


def _check_precision(trainer: dict) -> None:
    precision = str(trainer["precision"])
    if precision not in PRECISIONS:
        raise ConfigError(f"trainer.precision={precision} is not one of {', '.join(PRECISIONS)}")
    if precision == "16-mixed" and trainer["accelerator"] == "cpu":
        raise ConfigError("trainer.precision=16-mixed is for GPUs (CPUs have no fast float16 products); "
                          "use trainer.precision=bf16-mixed on the CPU")


def _check_not_multirun_ddp(c: dict) -> None:
    """Lightning's ``ddp`` re-executes the command per rank; under ``-m`` every rank would run its own sweep."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        strategy = str(c["trainer"]["strategy"])
        # Under a SLURM launcher every job is an allocation whose tasks are the ranks (Lightning's
        # SLURMEnvironment): nothing is re-executed, so DDP jobs are fine there.
        on_slurm = "SlurmLauncher" in str(HydraConfig.get().launcher.get("_target_", ""))
        if strategy.startswith("ddp") and strategy != "ddp_spawn" and not on_slurm:
            raise ConfigError(f"trainer.strategy={strategy} cannot run under -m (each rank would start its own sweep); "
                              "use trainer.strategy=ddp_spawn or single-device sweep jobs")
