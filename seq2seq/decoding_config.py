"""The options of the commands that use a checkpoint (predict, evaluate, chat, and chat's ``/set``),
validated as ``train`` validates its config: types, choices, the ranges declared on ``DecodingConfig``,
rules between keys, and the device, all before the checkpoint is loaded or any input is read.

``data.on_error`` / ``data.unknown_label`` / ``data.on_missing`` may be given to evaluate and predict, and
``data.path`` / ``valid_path`` / ``test_path`` to evaluate (where the run's data is now): the readers' error
messages suggest them, and they replace the checkpoint's own settings for this command.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from hydra.utils import to_absolute_path
from omegaconf import DictConfig

from seq2seq.config import DecodingConfig, OnError, choices, validate_sections
from seq2seq.config_rules import check_decoding, check_device
from seq2seq.errors import ConfigError, DataError
from seq2seq.ranges import Range, fail

# As in tasks/forecast/config.py / tasks/classify/config.py; declared again so that the config modules stay
# a leaf that imports no task's schema.
OnMissing = choices("OnMissing", "error ffill")
TableFormat = choices("TableFormat", "tsv csv")
SPLITS = ("train", "valid", "test")
OUTPUT_FORMATS = ("text", "json")


@dataclass
class ReaderOverrides:
    """Reader policies for the data a command reads; null keeps the checkpoint's setting."""

    on_error: Optional[OnError] = None  # malformed or undecodable lines: error | skip
    unknown_label: Optional[OnError] = None  # classify: gold labels not seen in training: error | skip
    on_missing: Optional[OnMissing] = None  # forecast: missing values: error | ffill


@dataclass
class EvalDataOverrides(ReaderOverrides):
    """evaluate also reads the run's own data files (``split=``), which may have moved since training, and
    table files (``input=``, classify) whose layout may differ from the training file's."""

    path: Optional[str] = None
    valid_path: Optional[str] = None
    test_path: Optional[str] = None
    format: Optional[TableFormat] = None  # classify: tsv | csv
    header: Optional[bool] = None  # classify: the first row names the columns
    delimiter: Optional[str] = None  # classify
    text_col: Optional[Union[int, str]] = None  # classify: a column index or (with a header) a name
    label_col: Optional[Union[int, str]] = None


PREDICT_SCALARS = {"ckpt_path": str, "input": (str, type(None)), "output": (str, type(None)),
                   "show_scores": bool, "format": str, "device": str}
EVAL_SCALARS = {"ckpt_path": str, "split": str, "input": (str, type(None)), "output_dir": (str, type(None)),
                "device": str}
CHAT_SCALARS = {"ckpt_path": str, "device": str, "context_turns": (int, type(None)),
                "separator": (str, type(None)), "show_context": bool}


def _validate(cfg: DictConfig | dict, scalars: dict, sections: dict | None = None,
              ranges: dict[str, Range] | None = None) -> dict:
    out = validate_sections(cfg, {"decoding": DecodingConfig, **(sections or {})}, scalars, ranges)
    check_decoding(out["decoding"])
    check_device(out["device"])
    return out


def validate_predict_config(cfg: DictConfig | dict) -> dict:
    out = _validate(cfg, PREDICT_SCALARS, {"data": ReaderOverrides})
    if out["format"] not in OUTPUT_FORMATS:
        raise fail("format", out["format"], " or ".join(OUTPUT_FORMATS))
    return out


def validate_evaluate_config(cfg: DictConfig | dict) -> dict:
    out = _validate(cfg, EVAL_SCALARS, {"data": EvalDataOverrides})
    if out["split"] not in SPLITS:
        raise fail("split", out["split"], "one of " + ", ".join(SPLITS))
    if out["input"] and not Path(to_absolute_path(out["input"])).is_file():
        raise DataError(f"{to_absolute_path(out['input'])}: no such file; pass input=<a file in the format of the "
                        f"training data>, or leave input unset to score split={out['split']}")
    return out


def validate_chat_config(cfg: DictConfig | dict) -> dict:
    return _validate(cfg, CHAT_SCALARS, ranges={"context_turns": Range(ge=1)})


def validate_decoding(decoding: dict) -> dict:
    """One ``decoding`` section on its own (chat's ``/set``): the same checks as the command line's."""
    out = validate_sections({"decoding": decoding}, {"decoding": DecodingConfig}, {})["decoding"]
    check_decoding(out)
    return out


def apply_reader_overrides(task: Any, overrides: dict) -> None:
    """Put the ``data.*`` reader policies given on the command line into the loaded task's (or predictor's)
    run config, and its data spec where it keeps one, before it reads anything."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        return
    run_config = getattr(task, "run_config", None)
    if run_config is None:
        run_config = task.config  # a seq2seq.inference predictor
    data = run_config.setdefault("data", {})
    for key, value in given.items():
        if key not in data:
            kind = data.get("kind", "?")
            raise ConfigError(f"data.{key} does not apply to this checkpoint (its data.kind={kind} has no such "
                              f"key); remove data.{key}={value}")
        data[key] = str(Path(to_absolute_path(value))) if key.endswith("path") else value
        spec = getattr(task, "spec", None)
        if isinstance(spec, dict) and key in spec:
            spec[key] = value
