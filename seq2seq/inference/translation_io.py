"""What both translation predictors share (``seq2seq.inference.translation`` on PyTorch,
``seq2seq.onnx_runtime.translation`` on onnxruntime): input normalisation and checks, batching by length,
n-best formatting, chat sessions, the results. Imports no torch: the ONNX predictor runs without it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from seq2seq.data.normalize import normalize_text
from seq2seq.inference.options import check_inputs, check_length


@dataclass
class Translation:
    """One input's output: ``text`` and ``score`` (log-probability, length-normalised under beam search with
    a length penalty) of the best hypothesis; ``nbest`` [(text, score)] when n_best > 1; ``attention`` when
    asked: {"source": pieces, "target": pieces, "weights": target × source}."""

    text: str
    score: float
    nbest: list[tuple[str, float]] | None = None
    attention: dict | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class TranslationIO:
    """The Python API and ``predict_lines`` of a translation predictor; the backend gives ``tokenizers``,
    ``config``, ``decoding``, ``search_rows(encoded, rows, d, attention) -> (padded sources (B, S), search
    result)`` and ``_attention(source row, result, row)``."""

    @property
    def max_input_tokens(self) -> int | None:
        return self.config["data"]["max_len"]

    def translate(self, texts: list[str], beam_size: int | None = None, n_best: int | None = None,
                  return_attention: bool = False, **decoding) -> list[Translation]:
        """One ``Translation`` per text, in order. Options default to the checkpoint's decoding section;
        ``strategy="sample"`` samples (``temperature``, ``top_k``, ``top_p``, ``seed``)."""
        given = {**decoding, **{k: v for k, v in (("beam_size", beam_size), ("n_best", n_best)) if v is not None}}
        d = self.decoding({**given, "return_attention": return_attention})
        texts = check_inputs(texts, "texts")
        encoded = self.encode(texts)
        for i, ids in enumerate(encoded):
            check_length(i, len(ids), self.max_input_tokens, "tokens")
        return [self._result(nbest, attention, d["n_best"] > 1 and d["strategy"] == "beam")
                for nbest, attention in self.decode_encoded(encoded, d, d["return_attention"])]

    def predict(self, inputs: list, **decoding) -> list[dict]:
        return [t.to_dict() for t in self.translate(inputs, **decoding)]

    def chat(self, context_turns: int | None = None, separator: str | None = None, **decoding):
        """A ``Chat`` session over this model (context and separator default to the training data's)."""
        from seq2seq.inference.chat import Chat

        return Chat(self, *self.chat_context(context_turns, separator), {**self.decoding(decoding), "n_best": 1})

    def chat_context(self, context_turns: int | None = None, separator: str | None = None) -> tuple[int, str]:
        """The context turns and separator of a chat: the given ones, else the training data's; a model not
        trained on dialogs (no such data keys) gets the dialog schema's defaults (one turn)."""
        from seq2seq.data.dialogs.schema import DialogDataConfig

        data = {**vars(DialogDataConfig()), **self.config["data"]}
        return context_turns or data["context_turns"], separator if separator is not None else data["separator"]

    @staticmethod
    def _result(nbest: list[tuple[str, float]], attention: dict | None, keep_nbest: bool) -> Translation:
        return Translation(nbest[0][0], nbest[0][1], nbest if keep_nbest else None, attention)

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Source ids of raw texts, normalised as the training data was."""
        data = self.config["data"]
        src_tok = self.tokenizers["source"]
        return [src_tok.encode(normalize_text(t, data["normalize"], data["lowercase"]))
                for t in texts]

    def nbest(self, texts: list[str], decoding: dict) -> list[list[tuple[str, float]]]:
        """n-best (text, score) lists for raw texts with a complete decoding section (what the CLIs use)."""
        return [nbest for nbest, _ in self.decode_encoded(self.encode(texts), decoding, False)]

    def decode_encoded(self, encoded: list[list[int]], d: dict, attention: bool) -> list[tuple[list, dict | None]]:
        """Batches of similar length, decoded; results back in input order."""
        tgt_tok = self.tokenizers["target"]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        results: list = [None] * len(encoded)
        for start in range(0, len(order), d["batch_size"]):
            rows = order[start : start + d["batch_size"]]
            src, out = self.search_rows(encoded, rows, d, attention)
            for r, i in enumerate(rows):
                nbest = [(tgt_tok.decode(out.tokens[r, n].tolist()), float(out.scores[r, n]))
                         for n in range(out.tokens.shape[1])]
                weights = self._attention(src[r], out, r) if attention else None
                results[i] = (nbest, weights)
        return results

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """One output line per input (n_best > 1: n lines per input, each prefixed by the input's number)."""
        out = []
        for number, nbest in enumerate(self.nbest(lines, options), start=1):
            for text, score in nbest:
                line = f"{score:.4f}\t{text}" if show_scores else text
                out.append(f"{number}\t{line}" if len(nbest) > 1 else line)
        return out
