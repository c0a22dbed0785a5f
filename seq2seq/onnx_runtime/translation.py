"""Translation and chatbot on onnxruntime: ``seq2seq.inference.translation.TranslationPredictor``'s
interface (translate, predict, nbest, chat, predict_lines), the search in NumPy."""

from __future__ import annotations

import numpy as np

from seq2seq.inference.translation_io import Translation, TranslationIO  # noqa: F401 (Translation: a public name)
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.beam import beam_search
from seq2seq.onnx_runtime.search import max_lengths, sample
from seq2seq.onnx_runtime.seq2seq_model import OnnxSeq2Seq
from seq2seq.onnx_runtime.session import pad_rows
from seq2seq.tokenizers import EOS, PAD


def search(model: OnnxSeq2Seq, src: np.ndarray, src_lengths: np.ndarray, d: dict):
    """``seq2seq.inference.translation.search`` with the NumPy search functions."""
    budget = max_lengths(src_lengths, d["max_len_ratio"], d["max_len_extra"], d["max_len_cap"])
    rules = {"min_len": d["min_len"], "no_repeat_ngram": d["no_repeat_ngram"]}
    if d["strategy"] == "sample":
        return sample(model, src, src_lengths, budget, d["temperature"], d["top_k"], d["top_p"], d["seed"],
                      **rules)
    return beam_search(model, src, src_lengths, budget, d["beam_size"], d["n_best"], d["length_penalty"],
                       d["alpha"], **rules, coverage_beta=d["coverage_penalty"],
                       keep_greedy=d["keep_greedy"])


class OnnxTranslationPredictor(TranslationIO, OnnxPredictor):
    kind = "seq2seq"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = OnnxSeq2Seq(self.path, manifest)

    def search_rows(self, encoded: list[list[int]], rows: list[int], d: dict, attention: bool):
        """The padded sources (B, S) of ``rows`` of ``encoded`` and their search result."""
        src, lengths = pad_rows([encoded[i] for i in rows], PAD, EOS)
        return src, search(self.model, src, lengths, d)

    def _attention(self, src: np.ndarray, out, row: int) -> dict | None:
        if out.attention is None:
            return None
        src_ids = [i for i in src.tolist() if i != PAD]
        out_ids = [i for i in out.tokens[row, 0].tolist() if i != PAD]
        weights = out.attention[row, : len(out_ids), : len(src_ids)].astype(np.float64)
        return {"source": self.tokenizers["source"].pieces(src_ids),
                "target": self.tokenizers["target"].pieces(out_ids),
                "weights": [[round(float(w), 6) for w in row_] for row_ in weights]}
