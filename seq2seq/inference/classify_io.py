"""What both classification predictors share (``seq2seq.inference.classify`` on PyTorch,
``seq2seq.onnx_runtime.classify`` on onnxruntime): text normalisation and checks, the results and their
formatting. Imports no torch: the ONNX predictor runs without it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from seq2seq.data.normalize import normalize_text
from seq2seq.errors import DataError
from seq2seq.inference.options import check_inputs


@dataclass
class Classification:
    """One text: the most probable ``label`` and every label's ``probabilities`` (summing to 1)."""

    label: str
    probabilities: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)


class ClassifyIO:
    """The Python API and ``predict_lines`` of a classification predictor; the backend gives ``hparams``,
    ``config``, ``decoding`` and ``predict_proba(normalised texts, batch_size) -> (N, C)``."""

    @property
    def labels(self) -> list[str]:
        return list(self.hparams["labels"])

    def classify(self, texts: list[str], **decoding) -> list[Classification]:
        """One ``Classification`` per text. Texts are normalised as the training data was, and cut to
        ``data.max_len`` tokens as in training (``info()["max_input_tokens"]``)."""
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
        data = self.config["data"]
        return [normalize_text(t, data["normalize"], data["lowercase"]) for t in texts]

    def _probs(self, probs: np.ndarray) -> dict[str, float]:
        return {name: round(float(p), 6) for name, p in zip(self.labels, probs)}

    def probs_json(self, probs: np.ndarray) -> str:
        return json.dumps(self._probs(probs), ensure_ascii=False)

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """``label<TAB>{"label": probability, ...}`` per input line (probabilities always shown, so
        ``show_scores`` changes nothing). Texts are normalised as the training data was."""
        clean = self.normalize(lines)
        for number, text in enumerate(clean, start=1):
            if not text:
                raise DataError(f"input line {number} is empty; give one text to classify per line")
        probs = self.predict_proba(clean, options["batch_size"])
        return [f"{self.labels[int(p.argmax())]}\t{self.probs_json(p)}" for p in probs]
