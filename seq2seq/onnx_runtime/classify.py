"""Text classification on onnxruntime: ``seq2seq.inference.classify.ClassifyPredictor``'s interface."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from seq2seq.data.normalize import normalize_text
from seq2seq.errors import DataError
from seq2seq.inference.options import check_inputs
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.search import softmax
from seq2seq.onnx_runtime.session import pad_rows, session
from seq2seq.tokenizers import PAD, UNK


@dataclass
class Classification:
    label: str
    probabilities: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)


class OnnxClassifyPredictor(OnnxPredictor):
    kind = "classify"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = session(self.path, manifest["graphs"]["model"], "model")

    @property
    def labels(self) -> list[str]:
        return list(self.hparams["labels"])

    def classify(self, texts: list[str], **decoding) -> list[Classification]:
        d = self.decoding(decoding)
        clean = self.normalize(check_inputs(texts, "texts"))
        for i, text in enumerate(clean):
            if not text:
                raise DataError(f"inputs[{i}] is empty after normalisation; give a text to classify")
        return [Classification(self.labels[int(p.argmax())], self._probs(p))
                for p in self.predict_proba(clean, d["batch_size"])]

    def predict(self, inputs: list, **decoding) -> list[dict]:
        return [c.to_dict() for c in self.classify(inputs, **decoding)]

    def normalize(self, texts: list[str]) -> list[str]:
        data = self.config.get("data", {})
        return [normalize_text(t, data.get("normalize", "nfc"), data.get("lowercase", False)) for t in texts]

    def encode(self, texts: list[str]) -> list[list[int]]:
        """As ``seq2seq.data.labeled.preparation.encode_texts``: cut to ``data.max_len``; no tokens → one <unk>."""
        max_len = self.config["data"].get("max_len")
        ids = [self.tokenizers["text"].encode(t)[:max_len] if max_len else self.tokenizers["text"].encode(t)
               for t in texts]
        return [list(i) or [UNK] for i in ids]

    def predict_proba(self, texts: list[str], batch_size: int) -> np.ndarray:
        """(N, C) class probabilities of normalised texts, in input order (batches of similar length)."""
        encoded = self.encode(texts)
        order = np.argsort([len(e) for e in encoded], kind="stable")
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size].tolist()
            tokens, lengths = pad_rows([encoded[i] for i in rows], PAD)
            logits = self.model.run(None, {"tokens": tokens, "lengths": lengths})[0]
            out[rows] = softmax(logits.astype(np.float64))
        return out

    def _probs(self, probs: np.ndarray) -> dict[str, float]:
        return {name: round(float(p), 6) for name, p in zip(self.labels, probs)}

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        clean = self.normalize(lines)
        for number, text in enumerate(clean, start=1):
            if not text:
                raise DataError(f"input line {number} is empty; give one text to classify per line")
        return [f"{self.labels[int(p.argmax())]}\t{json.dumps(self._probs(p), ensure_ascii=False)}"
                for p in self.predict_proba(clean, options["batch_size"])]
