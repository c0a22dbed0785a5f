"""Language models on onnxruntime: ``seq2seq.inference.lm.LMPredictor``'s interface (generate, score,
predict, predict_lines) over the exported step graph; sampling in NumPy (its own generator: a ``seed``
draws other samples than PyTorch's, the same ones on every call)."""

from __future__ import annotations

import numpy as np

from seq2seq.inference.lm_io import LMIO, Generation, TextScore  # noqa: F401 (public names)
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.crf import log_softmax
from seq2seq.onnx_runtime.search import NEG_INF, filter_logits, softmax
from seq2seq.onnx_runtime.session import session
from seq2seq.tokenizers import BOS, EOS, PAD, UNK

NEVER_GENERATED = (PAD, BOS, EOS, UNK)


class OnnxLMPredictor(LMIO, OnnxPredictor):
    kind = "lm"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = session(self.path, manifest["graphs"]["step"], "step")
        self.state_names, (self.layers, self.hidden) = manifest["state"], manifest["state_shape"]

    def run(self, tokens: np.ndarray, state: dict | None) -> tuple[np.ndarray, dict]:
        """tokens (B, T) → logits (B, T, V) and the state after them (zeros before the first call)."""
        if state is None:
            state = {n: np.zeros((self.layers, len(tokens), self.hidden), np.float32) for n in self.state_names}
        out = self.model.run(None, {"tokens": tokens, **state})
        return out[0], dict(zip(self.state_names, out[1:]))

    def generator(self, seed: int | None) -> np.random.Generator:
        return np.random.default_rng(seed)

    def continue_text(self, prompt: str, d: dict, rng: np.random.Generator) -> tuple[str, float]:
        """As ``LMPredictor.continue_text``: ``length`` tokens drawn after ``<bos>`` + the prompt."""
        tok = self.tokenizers["text"]
        ids = tok.encode(prompt) if prompt else []
        logits, state = self.run(np.array([[BOS, *ids]], dtype=np.int64), None)
        logp = log_softmax(logits[:, -1])
        banned = np.zeros(logp.shape[-1], dtype=bool)
        banned[list(NEVER_GENERATED)] = True
        new, score = [], np.float32(0)
        for step in range(d["length"]):
            filtered = filter_logits(np.where(banned, NEG_INF, logp), d["temperature"], d["top_k"], d["top_p"])
            probs = softmax(filtered.astype(np.float64))[0]
            token = int(min(np.searchsorted(np.cumsum(probs), rng.random() * probs.sum(), side="right"),
                            len(probs) - 1))
            score += logp[0, token]
            new.append(token)
            if step + 1 < d["length"]:
                logits, state = self.run(np.array([[token]], dtype=np.int64), state)
                logp = log_softmax(logits[:, -1])
        whole, head = tok.decode(ids + new), tok.decode(ids)
        continuation = whole[len(head) :] if whole.startswith(head) else tok.decode(new)
        return prompt + continuation, float(score)

    def text_nll(self, ids: list[int], bptt: int, name: str) -> tuple[float, int]:
        """Summed NLL and number of targets of one text (``LMPredictor.text_nll``)."""
        return self.stream_nll(np.asarray(ids, dtype=np.int64), bptt), len(ids)

    def stream_nll(self, ids: np.ndarray, bptt: int) -> float:
        """Summed NLL of ``ids`` after ``<bos>``, in windows of ``bptt`` with the state carried."""
        inputs, state, nll = np.concatenate([[BOS], ids[:-1]]), None, 0.0
        for start in range(0, len(ids), bptt):
            logits, state = self.run(inputs[None, start : start + bptt], state)
            logp = log_softmax(logits[0].astype(np.float32))
            nll -= float(logp[np.arange(logp.shape[0]), ids[start : start + bptt]].astype(np.float64).sum())
        return nll
