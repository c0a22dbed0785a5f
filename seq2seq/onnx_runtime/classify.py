"""Text classification on onnxruntime: ``seq2seq.inference.classify.ClassifyPredictor``'s interface."""

from __future__ import annotations

import numpy as np

from seq2seq.inference.classify_io import Classification, ClassifyIO  # noqa: F401 (Classification: a public name)
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.search import softmax
from seq2seq.onnx_runtime.session import pad_rows, session
from seq2seq.tokenizers import PAD, UNK


class OnnxClassifyPredictor(ClassifyIO, OnnxPredictor):
    kind = "classify"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = session(self.path, manifest["graphs"]["model"], "model")

    def encode(self, texts: list[str]) -> list[list[int]]:
        """As ``seq2seq.data.labeled.preparation.encode_texts``: cut to ``data.max_len``; no tokens → one <unk>."""
        max_len = self.config["data"]["max_len"]
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
