"""What both language-model predictors share (``seq2seq.inference.lm`` on PyTorch, ``seq2seq.onnx_runtime.lm``
on onnxruntime): prompt and text checks and normalisation, per-prompt seeds, the results. Imports no torch:
the ONNX predictor runs without it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from seq2seq.data.text.preparation import encode_text, normalize_lm_text
from seq2seq.data.text.prompts import escape_newlines, normalize_prompt, unescape_newlines
from seq2seq.errors import DataError
from seq2seq.inference.options import check_inputs
from seq2seq.tasks.seq2seq.metrics import perplexity


@dataclass
class Generation:
    """``text`` is the prompt (normalised as the training text was) followed by the sampled
    ``continuation``; ``log_prob`` is the model's log-probability of the sampled tokens."""

    prompt: str
    text: str
    continuation: str
    log_prob: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TextScore:
    """How well the model predicts a text: bits per character, perplexity per token, and the counts."""

    bpc: float
    ppl: float
    tokens: int
    characters: int

    def to_dict(self) -> dict:
        return asdict(self)


class LMIO:
    """The Python API and ``predict_lines`` of a language-model predictor; the backend gives ``tokenizers``,
    ``config``, ``decoding``, ``generator(seed)`` (its random source), ``continue_text(prompt, decoding,
    generator) -> (text, log_prob)`` and ``text_nll(ids, bptt, name) -> (summed NLL, targets)``."""

    def generate(self, prompt: str | list[str], **decoding) -> Generation | list[Generation]:
        """Continue a prompt (or each prompt of a list) by ``length`` sampled tokens (``temperature``,
        ``top_k``, ``top_p``; ``seed``: prompt ``i`` of the list draws from ``seed + i``)."""
        d = self.decoding(decoding)
        prompts = check_inputs([prompt] if isinstance(prompt, str) else prompt, "prompts (strings)")
        data = self.config["data"]
        out = []
        for i, text in enumerate(prompts):
            clean = normalize_prompt(text, data)
            full, score = self.continue_text(clean, d, self.generator(None if d["seed"] is None else d["seed"] + i))
            out.append(Generation(clean, full, full[len(clean) :], round(score, 4)))
        return out[0] if isinstance(prompt, str) else out

    def score(self, text: str | list[str]) -> TextScore | list[TextScore]:
        """Bits per character of a text (or of each text of a list), normalised as the training text was;
        the recurrent state runs over the whole text from ``<bos>``."""
        texts = check_inputs([text] if isinstance(text, str) else text, "texts")
        data = self.config["data"]
        out = []
        for i, raw in enumerate(texts):
            clean = normalize_lm_text(raw, data["normalize"], data["lowercase"], data["whitespace"])
            if not clean:
                raise DataError(f"inputs[{i}] is empty after normalisation; give a text to score")
            part = encode_text(self.tokenizers["text"], clean, f"inputs[{i}]")
            nll, count = self.text_nll(part.ids, data["bptt"], f"inputs[{i}]")
            loss = nll / max(count, 1)
            out.append(TextScore(round(part.bits_per_char(loss), 6), round(perplexity(loss), 6), count, len(clean)))
        return out[0] if isinstance(text, str) else out

    def predict(self, inputs: list, **decoding) -> list[dict]:
        check_inputs(inputs, "prompts (strings)")
        return [g.to_dict() for g in self.generate(list(inputs), **decoding)]

    def predict_lines(self, lines: list[str], decoding: dict, show_scores: bool = False) -> list[str]:
        """Each line is a prompt (``\\n`` in it is a newline); each output is the prompt as typed and its
        continuation on one line, newlines written as ``\\n``. With ``decoding.seed`` line ``i`` (from 0)
        draws from a generator seeded with ``seed + i``: reproducible, whatever the other lines hold."""
        out = []
        for i, line in enumerate(lines):
            typed = unescape_newlines(line)
            prompt = normalize_prompt(typed, self.config["data"])
            seed = None if decoding["seed"] is None else decoding["seed"] + i
            text, score = self.continue_text(prompt, decoding, self.generator(seed))
            shown = escape_newlines(typed + text[len(prompt) :])
            out.append(f"{score:.4f}\t{shown}" if show_scores else shown)
        return out
