"""Vocabularies of a tagger (words, characters, tags) and the encoding of tokenised sentences.

A batch refers to each distinct surface form once: sentences become form ids, and every form carries its
word id (looked up lower-cased and with digits folded to 0 when configured), its casing class and its
characters. ``TaggingVocab`` holds only plain values in ``state()``, travels in the checkpoint's
``tokenizers`` entry and is written beside the run as ``tokenizer_vocab.json``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from seq2seq.data.ragged import Ragged
from seq2seq.tokenizers.base import SPECIALS, UNK
from seq2seq.tokenizers.vocab import Vocab

CASING = ("<pad>", "other", "numeric", "mainly_numeric", "lower", "upper", "initial_upper", "has_digit", "mixed")
_DIGITS = re.compile(r"\d")


def casing_class(token: str) -> int:
    """Index in ``CASING`` of a token's shape (Reimers & Gurevych 2017)."""
    digits = sum(c.isdigit() for c in token)
    if token.isdigit():
        return CASING.index("numeric")
    if digits / max(len(token), 1) > 0.5:
        return CASING.index("mainly_numeric")
    if token.islower():
        return CASING.index("lower")
    if token.isupper():
        return CASING.index("upper")
    if token[:1].isupper():
        return CASING.index("initial_upper")
    if digits:
        return CASING.index("has_digit")
    return CASING.index("mixed") if any(c.isalpha() for c in token) else CASING.index("other")


@dataclass
class EncodedSentences:
    """Sentences as ids. ``tokens[i]`` are the form ids of sentence i; form f has word id ``form_words[f]``,
    casing ``form_casing[f]`` and characters ``form_chars[f]``; ``unknown_words`` counts tokens mapped to
    <unk>."""

    forms: list[str]
    form_words: np.ndarray  # (F,) int64
    form_casing: np.ndarray  # (F,) int64
    form_chars: Ragged  # F sequences of char ids
    tokens: Ragged  # one sequence of form ids per sentence
    unknown_words: int = 0

    def to_state(self) -> dict:
        import torch  # here only: the vocabulary itself serves the torch-free ONNX tagger (seq2seq.onnx_runtime)

        return {"forms": self.forms, "form_words": torch.from_numpy(self.form_words),
                "form_casing": torch.from_numpy(self.form_casing),
                "form_chars": self.form_chars.to_state(), "tokens": self.tokens.to_state(),
                "unknown_words": self.unknown_words}

    @classmethod
    def from_state(cls, s: dict) -> EncodedSentences:
        return cls(s["forms"], s["form_words"].numpy(), s["form_casing"].numpy(),
                   Ragged.from_state(s["form_chars"]), Ragged.from_state(s["tokens"]), s["unknown_words"])


class TaggingVocab:
    """Word, character and tag vocabularies plus the lookup settings they were built with."""

    kind = "tagging_vocab"

    def __init__(self, words: list[str], chars: list[str], tags: list[str], scheme: str, lowercase: bool = True,
                 zero_digits: bool = True, max_word_chars: int = 30):
        self.words, self.chars = Vocab(words), Vocab(chars)
        self.tags, self.scheme = list(tags), scheme
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}
        self.lowercase, self.zero_digits, self.max_word_chars = lowercase, zero_digits, max_word_chars

    @classmethod
    def build(cls, sentences: list[list[str]], tags: list[str], scheme: str, lowercase: bool = True,
              zero_digits: bool = True, max_word_chars: int = 30, min_freq: int = 1,
              max_size: int | None = None, char_min_freq: int = 1) -> TaggingVocab:
        """Vocabularies of the training sentences (words most frequent first)."""
        probe = cls(list(SPECIALS), list(SPECIALS), tags, scheme, lowercase, zero_digits, max_word_chars)
        word_counts = Counter(probe.word_key(t) for s in sentences for t in s)
        char_counts = Counter(c for s in sentences for t in s for c in t[:max_word_chars])
        words = Vocab.build(word_counts, min_freq, max_size).itos
        chars = Vocab.build(char_counts, char_min_freq).itos
        return cls(words, chars, tags, scheme, lowercase, zero_digits, max_word_chars)

    def word_key(self, token: str) -> str:
        """The string looked up in the word vocabulary."""
        if self.zero_digits:
            token = _DIGITS.sub("0", token)
        return token.lower() if self.lowercase else token

    def encode(self, sentences: list[list[str]]) -> EncodedSentences:
        """Ids of tokenised sentences (every sentence needs at least one token)."""
        form_id: dict[str, int] = {}
        flat = [form_id.setdefault(t, len(form_id)) for s in sentences for t in s]
        offsets = np.zeros(len(sentences) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in sentences], out=offsets[1:])
        forms = list(form_id)
        words = np.array([self.words.id(self.word_key(f)) for f in forms], dtype=np.int64)
        casing = np.array([casing_class(f) for f in forms], dtype=np.int64)
        chars = [[self.chars.id(c) for c in f[: self.max_word_chars]] for f in forms]
        char_off = np.zeros(len(forms) + 1, dtype=np.int64)
        np.cumsum([len(c) for c in chars], out=char_off[1:])
        char_ids = np.fromiter((c for cs in chars for c in cs), dtype=np.int32, count=int(char_off[-1]))
        tokens = Ragged(np.asarray(flat, dtype=np.int32), offsets)
        unknown = int((words[tokens.ids] == UNK).sum()) if len(flat) else 0
        return EncodedSentences(forms, words, casing, Ragged(char_ids, char_off), tokens, unknown)

    def encode_tags(self, tags: list[list[str]]) -> tuple[Ragged, int]:
        """Tag ids (scheme ``self.scheme``); tags of types unseen in training become ``O``. Returns
        (ids, number of such tags)."""
        flat = [self.tag_ids.get(t, -1) for s in tags for t in s]
        ids = np.asarray(flat, dtype=np.int32)
        unseen = int((ids < 0).sum())
        ids[ids < 0] = self.tag_ids["O"]
        offsets = np.zeros(len(tags) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in tags], out=offsets[1:])
        return Ragged(ids, offsets), unseen

    @property
    def vocab_size(self) -> int:
        return len(self.words)

    def state(self) -> dict:
        return {"kind": self.kind, "scheme": self.scheme, "lowercase": self.lowercase,
                "zero_digits": self.zero_digits, "max_word_chars": self.max_word_chars, "tags": self.tags,
                "chars": self.chars.itos, "words": self.words.itos}

    @classmethod
    def from_state(cls, s: dict) -> TaggingVocab:
        return cls(s["words"], s["chars"], s["tags"], s["scheme"], s["lowercase"], s["zero_digits"],
                   s["max_word_chars"])
