"""What the ONNX predictors share with the PyTorch ones (``seq2seq.inference.base.Predictor``): task,
decoding defaults and checks, ``info()``; built from an export directory's manifest, without torch."""

from __future__ import annotations

from pathlib import Path

from seq2seq.inference.options import merge_decoding
from seq2seq.tokenizers import tokenizer_from_state


class OnnxPredictor:
    kind = ""
    backend = "onnxruntime"

    def __init__(self, path: Path, manifest: dict):
        self.path, self.manifest = Path(path), manifest
        self.config, self.hparams = manifest["config"], manifest["hparams"]
        self.metrics = manifest.get("metrics", {})
        self.decoding_keys = tuple(manifest["decoding_keys"])
        self.tokenizers = self.load_tokenizers(manifest["tokenizers"])

    @staticmethod
    def load_tokenizers(states: dict) -> dict:
        return {name: tokenizer_from_state(state) for name, state in states.items()}

    @property
    def task(self) -> str:
        return self.manifest["task"]

    @property
    def run_config(self) -> dict:
        return self.config

    @property
    def decoding_defaults(self) -> dict:
        return dict(self.manifest["decoding"])

    def decoding(self, given: dict) -> dict:
        return merge_decoding(self.manifest["decoding"], given, self.decoding_keys)

    def describe(self) -> dict:
        return dict(self.manifest.get("describe", {}))

    def info(self) -> dict:
        return {"task": self.task, "kind": self.kind, **self.describe(), "training": self.manifest.get("training", {}),
                "metrics": self.metrics, "decoding": self.decoding_defaults, "decoding_keys": list(self.decoding_keys),
                "parameters": self.manifest.get("parameters"), "backend": self.backend}
