"""NER on onnxruntime: ``seq2seq.inference.ner.NERPredictor``'s interface (tag, predict, tag_ids,
predict_lines); the emission graph on onnxruntime, the CRF (or constrained softmax) decoding in NumPy."""

from __future__ import annotations

import numpy as np

from seq2seq.data.conll.vocab import EncodedSentences
from seq2seq.inference.ner_io import NERIO, Tagging  # noqa: F401 (Tagging: a public name)
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.crf import log_partition, log_softmax, viterbi
from seq2seq.onnx_runtime.session import session
from seq2seq.tokenizers import PAD


def batch_arrays(encoded: EncodedSentences, rows: list[int]) -> dict[str, np.ndarray]:
    """``seq2seq.data.conll.collate.collate_tagging`` in NumPy: words, casing, form_index, mask (B, T),
    lengths (B,), chars (U, C) and char_lengths (U,) of the U distinct forms."""
    rows = np.asarray(rows, dtype=np.int64)
    lengths = encoded.tokens.lengths[rows]
    forms = np.full((len(rows), int(lengths.max())), -1, dtype=np.int64)
    for r, i in enumerate(rows):
        forms[r, : lengths[r]] = encoded.tokens[i]
    mask = forms >= 0
    unique, inverse = np.unique(forms[mask], return_inverse=True)
    form_index = np.zeros(forms.shape, dtype=np.int64)
    form_index[mask] = inverse
    safe = np.where(mask, forms, 0)
    char_lengths = encoded.form_chars.lengths[unique].astype(np.int64)
    chars = np.full((len(unique), int(char_lengths.max())), PAD, dtype=np.int64)
    for r, f in enumerate(unique):
        chars[r, : char_lengths[r]] = encoded.form_chars[f]
    return {"words": np.where(mask, encoded.form_words[safe], PAD).astype(np.int64),
            "casing": np.where(mask, encoded.form_casing[safe], 0).astype(np.int64), "mask": mask,
            "lengths": lengths.astype(np.int64), "chars": chars, "char_lengths": char_lengths,
            "form_index": form_index}


class OnnxNERPredictor(NERIO, OnnxPredictor):
    kind = "ner"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = session(self.path, manifest["graphs"]["model"], "model")
        self.inputs = ["words", "lengths", *manifest["inputs"]]
        decoder = manifest["decoder"]
        self.output = decoder["output"]
        self.scores = tuple(np.asarray(decoder[k], dtype=np.float32) for k in ("transitions", "start", "end")) \
            if "transitions" in decoder else None

    def decode_rows(self, encoded: EncodedSentences, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Best tags (B, T) and their log-probabilities (B,) of the sentences ``rows`` of ``encoded``."""
        batch = batch_arrays(encoded, rows)
        emissions = self.model.run(None, {n: batch[n] for n in self.inputs})[0]
        return self.best_tags(emissions, batch["mask"])

    def best_tags(self, emissions: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Tagger.best_tags``: tags (B, T) and each sentence's log-probability of them (B,)."""
        if self.output == "crf":
            tags, best = viterbi(emissions, mask, *self.scores)
            return tags, best - log_partition(emissions, mask, *self.scores)
        logp = log_softmax(emissions)
        if self.scores is not None:
            tags, _ = viterbi(logp, mask, *self.scores)
        else:
            tags = np.where(mask, logp.argmax(-1), 0)
        return tags, (np.take_along_axis(logp, tags[:, :, None], 2)[:, :, 0] * mask).sum(1)
