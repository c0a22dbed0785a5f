"""Predictors on onnxruntime for directories written by ``python -m seq2seq.export``: the interface of
``seq2seq.inference``'s predictors, the search in NumPy, and no torch import (``seq2seq.load(<dir>)``)."""

from __future__ import annotations

import importlib
from pathlib import Path

from seq2seq.onnx_runtime.manifest import MANIFEST, read_manifest

PREDICTORS = {"seq2seq": "seq2seq.onnx_runtime.translation:OnnxTranslationPredictor",
              "classify": "seq2seq.onnx_runtime.classify:OnnxClassifyPredictor",
              "forecast": "seq2seq.onnx_runtime.forecast:OnnxForecastPredictor",
              "ner": "seq2seq.onnx_runtime.ner:OnnxNERPredictor",
              "lm": "seq2seq.onnx_runtime.lm:OnnxLMPredictor"}


def is_export_dir(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


def load(path: str | Path):
    """The predictor of the export directory ``path`` (checked: manifest, graph files and their SHA-256)."""
    manifest = read_manifest(path)
    module, name = PREDICTORS[manifest["kind"]].split(":")
    return getattr(importlib.import_module(module), name)(Path(path), manifest)
