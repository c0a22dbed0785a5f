"""Named-entity recognition inference: sentences → tokens, tags (in the input scheme) and entity spans."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from seq2seq.data.conll.collate import collate_tagging
from seq2seq.data.conll.schemes import convert, entities
from seq2seq.data.conll.vocab import TaggingVocab
from seq2seq.errors import DataError
from seq2seq.inference.base import Predictor, to_device
from seq2seq.inference.options import check_inputs
from seq2seq.models.tagger import Tagger

NOT_MODEL_KEYS = ("kind", "embeddings_path", "freeze_embeddings")
TOKEN = re.compile(r"\S+")


def build_tagger(model: dict, num_words: int, num_chars: int, tags: list[str], scheme: str) -> Tagger:
    return Tagger(num_words, num_chars, tags, scheme, **{k: v for k, v in model.items() if k not in NOT_MODEL_KEYS})


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


class NERPredictor(Predictor):
    kind = "tagging"
    decoding_keys = ("batch_size",)

    @staticmethod
    def build_model(hparams: dict) -> Tagger:
        return build_tagger(hparams["model"], hparams["num_words"], hparams["num_chars"], hparams["tags"],
                            hparams["scheme"])

    @staticmethod
    def load_tokenizers(states: dict) -> dict:
        return {"vocab": TaggingVocab.from_state(states["vocab"])}

    @property
    def vocab(self) -> TaggingVocab:
        return self.tokenizers["vocab"]

    @property
    def scheme_in(self) -> str:
        return self.config["data"]["scheme_in"]

    def describe(self) -> dict:
        types = sorted({t.split("-", 1)[1] for t in self.vocab.tags if "-" in t})
        return {"entity_types": types, "scheme": self.scheme_in, "model_scheme": self.vocab.scheme,
                "words": len(self.vocab.words), "chars": len(self.vocab.chars)}

    # -- the Python API ----------------------------------------------------------------------------------
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

    # -- tagging ---------------------------------------------------------------------------------------
    @torch.no_grad()
    def tag_ids(self, sentences: list[list[str]], batch_size: int = 256) -> tuple[list[list[int]], list[float]]:
        """Tag ids (model scheme) and log-probabilities of tokenised sentences (each with >= 1 token)."""
        encoded = self.vocab.encode(sentences)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        pred: list = [None] * len(sentences)
        logp: list = [0.0] * len(sentences)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = to_device(collate_tagging(encoded, rows), self.device)
            tags, scores = self.model.decode(batch)
            for r, i in enumerate(rows):
                pred[i] = tags[r, : len(sentences[i])].tolist()
                logp[i] = float(scores[r])
        return pred, logp

    def tags_in_file_scheme(self, pred_ids: list[list[int]]) -> list[list[str]]:
        """Predicted tag ids → tag strings in the data's scheme (``data.scheme_in``)."""
        tags = self.vocab.tags
        return [convert([tags[t] for t in ids], self.vocab.scheme, self.scheme_in) for ids in pred_ids]

    # -- the CLIs --------------------------------------------------------------------------------------
    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """One line per input line (white-space tokenised): ``token/TAG ...`` with tags in the training
        data's scheme (``data.scheme_in``, as ``evaluate`` writes them; ``show_scores``: prefixed by the
        log-probability of the tag sequence and a tab); with ``options["format"] == "json"``, one JSON object
        per line with the tokens, tags and entity spans."""
        sentences = [line.split() for line in lines]
        keep = [i for i, s in enumerate(sentences) if s]
        pred_ids, logp = self.tag_ids([sentences[i] for i in keep], options.get("batch_size", 256))
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

    def evaluate(self, split: str, input_path: str | None, options: dict, out_dir: Path) -> dict:
        """Tag a split of the run's data (or the CoNLL file ``input_path``), write ``predictions.conll``
        (the file's columns plus the predicted tag, in the file's scheme: conlleval's input) and
        ``confusion_matrix.png``, and return the metrics (computed as conlleval computes them on that file)."""
        from seq2seq.data.conll.datamodule import ConllDataModule  # the training data's reader
        from seq2seq.data.conll.reader import format_conll
        from seq2seq.plots import plt
        from seq2seq.tagging_metrics import confusion_figure, entity_metrics, tag_confusion

        out_dir = Path(out_dir)
        sentences = ConllDataModule.eval_sentences(self.config["data"], split, input_path)
        pred_ids, _ = self.tag_ids([s.tokens for s in sentences], options.get("batch_size", 256))
        pred = self.tags_in_file_scheme(pred_ids)
        (out_dir / "predictions.conll").write_text(format_conll(sentences, pred), encoding="utf-8")
        gold = [s.tags for s in sentences]
        counts, labels = tag_confusion(gold, pred)
        fig = confusion_figure(counts, labels, split if input_path is None else Path(input_path).name)
        fig.savefig(out_dir / "confusion_matrix.png", dpi=120)
        plt.close(fig)
        metrics = entity_metrics(gold, pred)
        return {**metrics, "examples": len(sentences), "tokens": sum(len(s.tokens) for s in sentences)}


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

