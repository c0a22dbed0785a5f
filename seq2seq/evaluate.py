"""``python -m seq2seq.evaluate ckpt_path=...``: decode a split (or a file) and score it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import hydra
import torch
from hydra.utils import to_absolute_path
from omegaconf import DictConfig

from seq2seq.atomic import atomic_write
from seq2seq.checkpoint import pick_device
from seq2seq.cli import one_line_errors
from seq2seq.decoding_config import apply_reader_overrides, validate_evaluate_config
from seq2seq.inference import load
from seq2seq.hydra_schemas import config_dir

log = logging.getLogger("seq2seq.evaluate")


def default_output_dir(ckpt_path: Path, name: str) -> Path:
    run_dir = ckpt_path.parent.parent if ckpt_path.parent.name == "checkpoints" else ckpt_path.parent
    return run_dir / "eval" / name


def evaluate(cfg: DictConfig | dict) -> dict:
    cfg = validate_evaluate_config(cfg)  # types, ranges, rules and the device, before anything is loaded
    ckpt_path = Path(to_absolute_path(cfg["ckpt_path"]))
    device = pick_device(cfg["device"])
    predictor = load(ckpt_path, device, command="evaluate")
    apply_reader_overrides(predictor, cfg["data"])
    input_path = to_absolute_path(cfg["input"]) if cfg["input"] else None
    name = Path(input_path).stem if input_path else cfg["split"]
    out_dir = Path(to_absolute_path(cfg["output_dir"])) if cfg["output_dir"] else default_output_dir(ckpt_path, name)
    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("evaluating %s on %s with %s", ckpt_path.name, name, device)
    started = time.perf_counter()
    with torch.inference_mode():
        # The predictor reads the split the way it was trained, decodes, scores, and writes its predictions.
        metrics = predictor.evaluate(cfg["split"], input_path, cfg["decoding"], out_dir)
    seconds = time.perf_counter() - started
    metrics = {**metrics, "seconds": round(seconds, 2),
               "examples_per_second": round(metrics["examples"] / max(seconds, 1e-9), 1)}
    report = {"checkpoint": str(ckpt_path), "data": name, "decoding": cfg["decoding"], "metrics": metrics}
    if signatures := predictor.scorer_signatures():
        report["signatures"] = signatures
    atomic_write(out_dir / "metrics.json", json.dumps(report, indent=2))
    print(format_table(metrics))
    print(f"wrote {out_dir / 'metrics.json'} and the predictions beside it")
    return metrics


def format_table(metrics: dict) -> str:
    width = max(len(k) for k in metrics)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  ----------"]
    for key, value in metrics.items():
        lines.append(f"{key:<{width}}  {value:.4f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    return "\n".join(lines)


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="evaluate")
@one_line_errors
def main(cfg: DictConfig) -> None:
    evaluate(cfg)


if __name__ == "__main__":
    main()
