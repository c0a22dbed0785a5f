"""What both NER predictors share (``seq2seq.inference.ner`` on PyTorch, ``seq2seq.onnx_runtime.ner`` on
onnxruntime): tokenising the inputs, batching them by length, the tag scheme, the results. Imports no torch:
the ONNX predictor runs without it."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from seq2seq.data.conll.schemes import convert, entities
from seq2seq.data.conll.vocab import EncodedSentences, TaggingVocab
from seq2seq.errors import DataError
from seq2seq.inference.options import check_inputs

TOKEN = re.compile(r"\S+")


def sentence_record(tokens: list[str], tags: list[str], log_prob: float) -> dict:
    """JSON-ready tagging of one sentence; spans have token offsets ``start`` (inclusive) and ``end``."""
    spans = [{"start": s, "end": e, "type": kind, "text": " ".join(tokens[s:e])} for s, e, kind in entities(tags)]
    return {"tokens": tokens, "tags": tags, "spans": spans, "log_prob": round(log_prob, 4)}


@dataclass
class Tagging:
    """One sentence: its ``tokens``, their ``tags`` in the scheme of the training files (``data.scheme_in``),
    the ``entities`` ({text, type, start, end: token offsets, end exclusive; char_start, char_end: character
    offsets in the input string, or in the tokens joined by single spaces}) and the ``log_prob`` of the tags."""

    tokens: list[str]
    tags: list[str]
    entities: list[dict] = field(default_factory=list)
    log_prob: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


class NERIO:
    """The Python API and ``predict_lines`` of an NER predictor; the backend gives ``tokenizers``, ``config``,
    ``decoding`` and ``decode_rows(encoded, rows) -> (tags (B, T), log-probabilities (B,))``."""

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
        """One ``Tagging`` per sentence: a string (split at white space, offsets into it) or a list of tokens."""
        d = self.decoding(decoding)
        sentences = check_inputs(sentences, "sentences (strings or lists of tokens)", (str, list, tuple))
        tokenised = [tokens_with_offsets(s, i) for i, s in enumerate(sentences)]
        keep = [i for i, (tokens, _) in enumerate(tokenised) if tokens]
        ids, logp = self.tag_ids([tokenised[i][0] for i in keep], d["batch_size"])
        tags = dict(zip(keep, self.tags_in_file_scheme(ids)))
        scores = dict(zip(keep, logp))
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
        """Tag ids (model scheme) and log-probabilities of tokenised sentences (each with >= 1 token)."""
        encoded: EncodedSentences = self.vocab.encode(sentences)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        pred: list = [None] * len(sentences)
        logp: list = [0.0] * len(sentences)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            tags, scores = self.decode_rows(encoded, rows)
            for r, i in enumerate(rows):
                pred[i] = tags[r, : len(sentences[i])].tolist()
                logp[i] = float(scores[r])
        return pred, logp

    def tags_in_file_scheme(self, pred_ids: list[list[int]]) -> list[list[str]]:
        """Predicted tag ids → tag strings in the data's scheme (``data.scheme_in``)."""
        tags = self.vocab.tags
        return [convert([tags[t] for t in ids], self.vocab.scheme, self.scheme_in) for ids in pred_ids]

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """One line per input line (white-space tokenised): ``token/TAG ...`` with tags in the training
        data's scheme (``data.scheme_in``, as ``evaluate`` writes them; ``show_scores``: prefixed by the
        log-probability of the tag sequence and a tab); with ``options["format"] == "json"``, one JSON object
        per line with the tokens, tags and entity spans."""
        sentences = [line.split() for line in lines]
        keep = [i for i, s in enumerate(sentences) if s]
        pred_ids, logp = self.tag_ids([sentences[i] for i in keep], options["batch_size"])
        tagged = {i: (tags, lp) for i, tags, lp in zip(keep, self.tags_in_file_scheme(pred_ids), logp)}
        out = []
        for i, tokens in enumerate(sentences):
            tags, lp = tagged.get(i, ([], 0.0))
            if options.get("format") == "json":
                out.append(json.dumps(sentence_record(tokens, tags, lp), ensure_ascii=False))
                continue
            text = " ".join(f"{tok}/{tag}" for tok, tag in zip(tokens, tags))
            out.append(f"{lp:.4f}\t{text}" if show_scores else text)
        return out


def tokens_with_offsets(sentence: str | list, index: int) -> tuple[list[str], list[tuple[int, int]]]:
    """Tokens and their (start, end) character offsets: in the string, or in the tokens joined by spaces."""
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
