"""NER on onnxruntime: ``seq2seq.inference.ner.NERPredictor``'s interface (tag, predict, tag_ids,
predict_lines); the emission graph on onnxruntime, the CRF (or constrained softmax) decoding in NumPy."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from seq2seq.data.conll.schemes import convert, entities
from seq2seq.data.conll.vocab import EncodedSentences, TaggingVocab
from seq2seq.errors import DataError
from seq2seq.inference.options import check_inputs
from seq2seq.onnx_runtime.base import OnnxPredictor
from seq2seq.onnx_runtime.crf import log_partition, log_softmax, viterbi
from seq2seq.onnx_runtime.session import session
from seq2seq.tokenizers import PAD

TOKEN = re.compile(r"\S+")


@dataclass
class Tagging:
    tokens: list[str]
    tags: list[str]
    entities: list[dict] = field(default_factory=list)
    log_prob: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


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


class OnnxNERPredictor(OnnxPredictor):
    kind = "tagging"

    def __init__(self, path, manifest):
        super().__init__(path, manifest)
        self.model = session(self.path, manifest["graphs"]["model"], "model")
        self.inputs = ["words", "lengths", *manifest["inputs"]]
        decoder = manifest["decoder"]
        self.output = decoder["output"]
        self.scores = tuple(np.asarray(decoder[k], dtype=np.float32) for k in ("transitions", "start", "end")) \
            if "transitions" in decoder else None

    @staticmethod
    def load_tokenizers(states: dict) -> dict:
        return {"vocab": TaggingVocab.from_state(states["vocab"])}

    @property
    def vocab(self) -> TaggingVocab:
        return self.tokenizers["vocab"]

    @property
    def scheme_in(self) -> str:
        return self.config["data"]["scheme_in"]

    def tag(self, sentences: list, **decoding) -> list[Tagging]:
        d = self.decoding(decoding)
        sentences = check_inputs(sentences, "sentences (strings or lists of tokens)", (str, list, tuple))
        tokenised = [tokens_with_offsets(s, i) for i, s in enumerate(sentences)]
        keep = [i for i, (tokens, _) in enumerate(tokenised) if tokens]
        ids, logp = self.tag_ids([tokenised[i][0] for i in keep], d["batch_size"])
        tags, scores = dict(zip(keep, self.tags_in_file_scheme(ids))), dict(zip(keep, logp))
        out = []
        for i, (tokens, offsets) in enumerate(tokenised):
            sent_tags = tags.get(i, [])
            spans = [{"text": " ".join(tokens[s:e]), "type": kind, "start": s, "end": e,
                      "char_start": offsets[s][0], "char_end": offsets[e - 1][1]} for s, e, kind in entities(sent_tags)]
            out.append(Tagging(tokens, sent_tags, spans, round(scores.get(i, 0.0), 4)))
        return out

    def predict(self, inputs: list, **decoding) -> list[dict]:
        return [t.to_dict() for t in self.tag(inputs, **decoding)]

    def tag_ids(self, sentences: list[list[str]], batch_size: int = 256) -> tuple[list[list[int]], list[float]]:
        encoded = self.vocab.encode(sentences)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        pred: list = [None] * len(sentences)
        logp: list = [0.0] * len(sentences)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = batch_arrays(encoded, rows)
            emissions = self.model.run(None, {n: batch[n] for n in self.inputs})[0]
            tags, scores = self.best_tags(emissions, batch["mask"])
            for r, i in enumerate(rows):
                pred[i] = tags[r, : len(sentences[i])].tolist()
                logp[i] = float(scores[r])
        return pred, logp

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

    def tags_in_file_scheme(self, pred_ids: list[list[int]]) -> list[list[str]]:
        tags = self.vocab.tags
        return [convert([tags[t] for t in ids], self.vocab.scheme, self.scheme_in) for ids in pred_ids]

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        sentences = [line.split() for line in lines]
        keep = [i for i, s in enumerate(sentences) if s]
        pred_ids, logp = self.tag_ids([sentences[i] for i in keep], options.get("batch_size", 256))
        tagged = {i: (tags, lp) for i, tags, lp in zip(keep, self.tags_in_file_scheme(pred_ids), logp)}
        out = []
        for i, tokens in enumerate(sentences):
            tags, lp = tagged.get(i, ([], 0.0))
            if options.get("format") == "json":
                spans = [{"start": s, "end": e, "type": kind, "text": " ".join(tokens[s:e])}
                         for s, e, kind in entities(tags)]
                out.append(json.dumps({"tokens": tokens, "tags": tags, "spans": spans, "log_prob": round(lp, 4)},
                                      ensure_ascii=False))
                continue
            text = " ".join(f"{tok}/{tag}" for tok, tag in zip(tokens, tags))
            out.append(f"{lp:.4f}\t{text}" if show_scores else text)
        return out


def tokens_with_offsets(sentence: str | list, index: int) -> tuple[list[str], list[tuple[int, int]]]:
    """As ``seq2seq.inference.ner.tokens_with_offsets``."""
    if isinstance(sentence, str):
        found = list(TOKEN.finditer(sentence))
        return [m.group() for m in found], [m.span() for m in found]
    tokens = list(sentence)
    if not all(isinstance(t, str) and t for t in tokens):
        raise DataError(f"inputs[{index}] is a list, so it must hold tokens: non-empty strings")
    offsets, pos = [], 0
    for tok in tokens:
        offsets.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return tokens, offsets
