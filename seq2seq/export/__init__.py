"""``python -m seq2seq.export ckpt_path=<ckpt> out=<dir>``: ONNX graphs of a checkpoint plus
``manifest.json`` (task, tokenizer states, decoding defaults, each graph's inputs/outputs and SHA-256), so
that ``seq2seq.load(<dir>)`` predicts with onnxruntime alone (``seq2seq.onnx_runtime``).

Exported: seq2seq (translation, chatbot) as an encoder graph and one decoder-step graph with its whole
recurrent state (the search runs in NumPy); classify as one graph. The directory is written beside the
target and renamed into place, so a failed export leaves no half directory.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from seq2seq import __version__
from seq2seq.errors import CheckpointError, ConfigError
from seq2seq.onnx_runtime.manifest import EXPORT_FORMAT, GRAPHS, MANIFEST, to_json

log = logging.getLogger("seq2seq.export")


def exportable_model(predictor):
    """The predictor's model, with reference cells (``cell_impl=reference``, a Python loop over time steps)
    rebuilt as PyTorch's fused cells: the same parameters and outputs, exported as ONNX recurrent ops."""
    model_cfg = predictor.hparams["model"]
    if model_cfg.get("cell_impl", "builtin") == "builtin":  # classifier/forecaster/tagger: no such key, fused cells
        return predictor.model
    if model_cfg["layer_norm"]:
        raise CheckpointError("a model with layer-normalised LSTM cells (model.layer_norm=true) cannot be "
                              "exported yet: ONNX has no such recurrent op; train with model.layer_norm=false")
    hparams = {**predictor.hparams, "model": {**model_cfg, "cell_impl": "builtin", "recurrent_dropout": 0.0}}
    model = type(predictor).build_model(hparams)
    model.load_state_dict(predictor.model.state_dict())
    return model.eval()


def export(ckpt_path: str | Path, out: str | Path, opset: int | None = None) -> Path:
    """Export the checkpoint ``ckpt_path`` into the directory ``out``; returns it."""
    from seq2seq.inference import load

    return export_predictor(load(ckpt_path, "cpu", kinds=tuple(GRAPHS), command="export"), out, opset,
                            str(Path(ckpt_path).resolve()))


def export_predictor(predictor, out: str | Path, opset: int | None = None, source: str | None = None) -> Path:
    """Export a PyTorch predictor (``seq2seq.inference``) into the directory ``out``."""
    from seq2seq.export.onnx_file import pick_opset
    from seq2seq.export.tasks import EXPORTERS

    out = Path(out)
    if out.exists() and not (out / MANIFEST).is_file() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"out={out} exists and is not an export directory; choose a new or empty directory")
    opset = pick_opset(opset)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        exported = EXPORTERS[predictor.kind](exportable_model(predictor), tmp, opset)
        manifest = {"format": EXPORT_FORMAT, "seq2seq_version": __version__, "task": predictor.task,
                    "kind": predictor.kind, "opset": opset, "checkpoint": source,
                    "config": predictor.config, "hparams": predictor.hparams,
                    "tokenizers": to_json({n: t.state() for n, t in predictor.tokenizers.items()}),
                    "decoding": predictor.decoding_defaults, "decoding_keys": list(predictor.decoding_keys),
                    "describe": predictor.describe(), "training": predictor.training_summary(),
                    "metrics": predictor.metrics, "parameters": sum(p.numel() for p in predictor.model.parameters()),
                    **exported}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("exported %s (%s, opset %d) to %s", source or "a model", predictor.task, opset, out)
    return out


def main() -> None:
    import hydra
    from hydra.utils import to_absolute_path
    from omegaconf import DictConfig

    from seq2seq.cli import one_line_errors
    from seq2seq.hydra_schemas import config_dir

    @hydra.main(version_base="1.3", config_path=config_dir(), config_name="export")
    @one_line_errors
    def run(cfg: DictConfig) -> None:
        ckpt = Path(to_absolute_path(cfg.ckpt_path))
        run_dir = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent
        out = Path(to_absolute_path(cfg.out)) if cfg.out else run_dir / "export"
        if cfg.opset is not None and (isinstance(cfg.opset, bool) or not isinstance(cfg.opset, int) or cfg.opset < 9):
            raise ConfigError(f"bad value for 'opset': {cfg.opset!r}; must be an integer >= 9, or null")
        export(ckpt, out, cfg.opset)
        print(f"wrote {out} ({', '.join(sorted(p.name for p in out.iterdir()))})")

    run()
