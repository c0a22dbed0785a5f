"""Language models on onnxruntime: ``seq2seq.inference.lm.LMPredictor``'s interface (generate, score,
predict, predict_lines) over the exported step graph; sampling in NumPy (its own generator: a ``seed``
draws other samples than PyTorch's, the same ones on every call)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from seq2seq.data.text.preparation import encode_text, normalize_lm_text
from seq2seq.data.text.prompts import escape_newlines, normalize_prompt, unescape_newlines
from seq2seq.errors import DataError
from seq2seq.inference.options import check_inputs
from seq2seq.metrics import perplexity
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.crf import log_softmax
from seq2seq.onnx_runtime.search import NEG_INF, filter_logits, softmax
from seq2seq.onnx_runtime.session import session
from seq2seq.tokenizers import BOS, EOS, PAD, UNK

NEVER_GENERATED = (PAD, BOS, EOS, UNK)


@dataclass
class Generation:
    prompt: str
    text: str
    continuation: str
    log_prob: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TextScore:
    bpc: float
    ppl: float
    tokens: int
    characters: int

    def to_dict(self) -> dict:
        return asdict(self)


class OnnxLMPredictor(OnnxPredictor):
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

    def generate(self, prompt: str | list[str], **decoding) -> Generation | list[Generation]:
        d = self.decoding(decoding)
        prompts = check_inputs([prompt] if isinstance(prompt, str) else prompt, "prompts (strings)")
        data, out = self.config.get("data", {}), []
        for i, text in enumerate(prompts):
            clean = normalize_prompt(text, data)
            full, score = self.continue_text(clean, d, None if d["seed"] is None else d["seed"] + i)
            out.append(Generation(clean, full, full[len(clean) :], round(score, 4)))
        return out[0] if isinstance(prompt, str) else out

    def predict(self, inputs: list, **decoding) -> list[dict]:
        check_inputs(inputs, "prompts (strings)")
        return [g.to_dict() for g in self.generate(list(inputs), **decoding)]

    def continue_text(self, prompt: str, d: dict, seed: int | None) -> tuple[str, float]:
        """As ``LMPredictor.continue_text``: ``length`` tokens drawn after ``<bos>`` + the prompt."""
        tok, rng = self.tokenizers["text"], np.random.default_rng(seed)
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

    def score(self, text: str | list[str]) -> TextScore | list[TextScore]:
        """Bits per character (``LMPredictor.score``): the state runs over the whole text from ``<bos>``."""
        texts = check_inputs([text] if isinstance(text, str) else text, "texts")
        data, out = self.config.get("data", {}), []
        for i, raw in enumerate(texts):
            clean = normalize_lm_text(raw, data.get("normalize", "nfc"), data.get("lowercase", False),
                                      data.get("whitespace", "fold"))
            if not clean:
                raise DataError(f"inputs[{i}] is empty after normalisation; give a text to score")
            part = encode_text(self.tokenizers["text"], clean, f"inputs[{i}]")
            loss = self.stream_nll(np.asarray(part.ids, dtype=np.int64), data["bptt"]) / max(len(part.ids), 1)
            out.append(TextScore(round(part.bits_per_char(loss), 6), round(perplexity(loss), 6), len(part.ids),
                                 len(clean)))
        return out[0] if isinstance(text, str) else out

    def stream_nll(self, ids: np.ndarray, bptt: int) -> float:
        """Summed NLL of ``ids`` after ``<bos>``, in windows of ``bptt`` with the state carried."""
        inputs, state, nll = np.concatenate([[BOS], ids[:-1]]), None, 0.0
        for start in range(0, len(ids), bptt):
            logits, state = self.run(inputs[None, start : start + bptt], state)
            logp = log_softmax(logits[0].astype(np.float32))
            nll -= float(logp[np.arange(logp.shape[0]), ids[start : start + bptt]].astype(np.float64).sum())
        return nll

    def predict_lines(self, lines: list[str], decoding: dict, show_scores: bool = False) -> list[str]:
        out = []
        for i, line in enumerate(lines):
            typed = unescape_newlines(line)
            prompt = normalize_prompt(typed, self.config.get("data", {}))
            seed = None if decoding["seed"] is None else decoding["seed"] + i
            text, score = self.continue_text(prompt, decoding, seed)
            shown = escape_newlines(typed + text[len(prompt) :])
            out.append(f"{score:.4f}\t{shown}" if show_scores else shown)
        return out
