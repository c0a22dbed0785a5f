"""Translation and chatbot on onnxruntime: ``seq2seq.inference.translation.TranslationPredictor``'s
interface (translate, predict, nbest, chat, predict_lines), the search in NumPy."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from seq2seq.data.normalize import normalize_text
from seq2seq.inference.options import check_inputs, check_length
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.beam import beam_search
from seq2seq.onnx_runtime.search import max_lengths, sample
from seq2seq.onnx_runtime.seq2seq_model import OnnxSeq2Seq
from seq2seq.onnx_runtime.session import pad_rows
from seq2seq.tokenizers import EOS, PAD


@dataclass
class Translation:
    """As ``seq2seq.inference.translation.Translation``."""

    text: str
    score: float
    nbest: list[tuple[str, float]] | None = None
    attention: dict | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def search(model: OnnxSeq2Seq, src: np.ndarray, src_lengths: np.ndarray, d: dict):
    """``seq2seq.inference.translation.search`` with the NumPy search functions."""
    budget = max_lengths(src_lengths, d["max_len_ratio"], d["max_len_extra"], d["max_len_cap"])
    rules = {"min_len": d.get("min_len", 0), "no_repeat_ngram": d.get("no_repeat_ngram", 0)}
    if d.get("strategy") == "sample":
        return sample(model, src, src_lengths, budget, d["temperature"], d["top_k"], d["top_p"], d.get("seed"),
                      **rules)
    return beam_search(model, src, src_lengths, budget, d["beam_size"], d["n_best"], d["length_penalty"],
                       d["alpha"], **rules, coverage_beta=d.get("coverage_penalty", 0.0),
                       keep_greedy=d.get("keep_greedy", False))


class OnnxTranslationPredictor(OnnxPredictor):
    kind = "seq2seq"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = OnnxSeq2Seq(self.path, manifest)

    @property
    def max_input_tokens(self) -> int | None:
        return self.config.get("data", {}).get("max_len")

    def translate(self, texts: list[str], beam_size: int | None = None, n_best: int | None = None,
                  return_attention: bool = False, **decoding) -> list[Translation]:
        given = {**decoding, **{k: v for k, v in (("beam_size", beam_size), ("n_best", n_best)) if v is not None}}
        d = self.decoding({**given, "return_attention": return_attention})
        encoded = self.encode(check_inputs(texts, "texts"))
        for i, ids in enumerate(encoded):
            check_length(i, len(ids), self.max_input_tokens, "tokens")
        keep = d["n_best"] > 1 and d["strategy"] == "beam"
        return [Translation(nbest[0][0], nbest[0][1], nbest if keep else None, attention)
                for nbest, attention in self.decode_encoded(encoded, d, d["return_attention"])]

    def predict(self, inputs: list, **decoding) -> list[dict]:
        return [t.to_dict() for t in self.translate(inputs, **decoding)]

    def chat(self, context_turns: int | None = None, separator: str | None = None, **decoding):
        from seq2seq.inference.chat import Chat

        data = self.config.get("data", {})
        return Chat(self, context_turns or data.get("context_turns", 1),
                    separator if separator is not None else data.get("separator", " <sep> "),
                    {**self.decoding(decoding), "n_best": 1})

    def encode(self, texts: list[str]) -> list[list[int]]:
        data = self.config.get("data", {})
        src_tok = self.tokenizers["source"]
        return [src_tok.encode(normalize_text(t, data.get("normalize", "nfc"), data.get("lowercase", False)))
                for t in texts]

    def nbest(self, texts: list[str], decoding: dict) -> list[list[tuple[str, float]]]:
        return [nbest for nbest, _ in self.decode_encoded(self.encode(texts), decoding, False)]

    def decode_encoded(self, encoded: list[list[int]], d: dict, attention: bool) -> list[tuple[list, dict | None]]:
        """Batches of similar length (the PyTorch predictor's order), decoded; results in input order."""
        tgt_tok = self.tokenizers["target"]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        results: list = [None] * len(encoded)
        for start in range(0, len(order), d["batch_size"]):
            rows = order[start : start + d["batch_size"]]
            src, lengths = pad_rows([encoded[i] for i in rows], PAD, EOS)
            out = search(self.model, src, lengths, d)
            for r, i in enumerate(rows):
                nbest = [(tgt_tok.decode(out.tokens[r, n].tolist()), float(out.scores[r, n]))
                         for n in range(out.tokens.shape[1])]
                results[i] = (nbest, self._attention(src[r], out, r) if attention else None)
        return results

    def _attention(self, src: np.ndarray, out, row: int) -> dict | None:
        if out.attention is None:
            return None
        src_ids = [i for i in src.tolist() if i != PAD]
        out_ids = [i for i in out.tokens[row, 0].tolist() if i != PAD]
        weights = out.attention[row, : len(out_ids), : len(src_ids)].astype(np.float64)
        return {"source": self.tokenizers["source"].pieces(src_ids),
                "target": self.tokenizers["target"].pieces(out_ids),
                "weights": [[round(float(w), 6) for w in row_] for row_ in weights]}

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        out = []
        for number, nbest in enumerate(self.nbest(lines, options), start=1):
            for text, score in nbest:
                line = f"{score:.4f}\t{text}" if show_scores else text
                out.append(f"{number}\t{line}" if len(nbest) > 1 else line)
        return out
