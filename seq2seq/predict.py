"""``python -m seq2seq.predict ckpt_path=...``: one output line per input line (stdin or a file)."""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
import torch
from hydra.utils import to_absolute_path
from omegaconf import DictConfig

from seq2seq.checkpoint import pick_device
from seq2seq.cli import compose_command, one_line_errors
from seq2seq.data.textio import input_lines
from seq2seq.decoding_config import apply_reader_overrides, validate_predict_config
from seq2seq.inference import load
from seq2seq.hydra_schemas import config_dir


def read_lines(path: str | None) -> list[str]:
    file = Path(to_absolute_path(path)) if path is not None else None
    return input_lines(file, "pass input=<file with one input per line> or pipe stdin")


def predict(cfg: DictConfig | dict) -> list[str]:
    cfg = validate_predict_config(cfg)  # types, ranges, rules and the device, before anything is loaded
    predictor = load(to_absolute_path(cfg["ckpt_path"]), pick_device(cfg["device"]), command="predict")
    apply_reader_overrides(predictor, cfg["data"])
    lines = read_lines(cfg["input"])
    with torch.inference_mode():
        outputs = predictor.predict_lines(lines, {**cfg["decoding"], "format": cfg["format"]}, cfg["show_scores"])
    text = "".join(o + "\n" for o in outputs)
    if cfg["output"]:
        Path(to_absolute_path(cfg["output"])).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return outputs


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="predict")
@one_line_errors
def hydra_main(cfg: DictConfig) -> None:
    predict(cfg)


def main() -> None:
    """``key=value`` overrides are composed once (a faster cold start); anything else is @hydra.main's."""
    cfg = compose_command("predict", sys.argv[1:])
    if cfg is None:
        hydra_main()
    else:
        one_line_errors(predict)(cfg)


if __name__ == "__main__":
    main()
