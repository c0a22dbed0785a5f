"""Word tokenizer: words, numbers and single punctuation marks, with the spacing kept in the pieces.

Splitting (Unicode-aware, a single regular expression):

- a word is a run of letters/digits/underscore plus combining marks; Han and kana characters are one token
  each (those scripts put no spaces between words); a number keeps its separators (``1,000.50``);
- every other non-space character (punctuation, symbols, emoji) is its own token;
- apostrophes (``'`` and ``’``): French elisions end the first word (``l'homme`` → ``l'`` ``homme``,
  ``qu'il`` → ``qu'`` ``il``); English clitics start their own token (``it's`` → ``it`` ``'s``, ``we'll`` →
  ``we`` ``'ll``) and negations split Penn-Treebank style (``don't`` → ``do`` ``n't``); any other apostrophe
  inside a word stays in it (``aujourd'hui``, ``O'Brien``).

Spacing: as in SentencePiece, a piece preceded by a space (or starting the text) begins with ``▁``
(``"Hello, world!"`` → ``▁Hello`` ``,`` ``▁world`` ``!``), so ``decode(encode(x)) == x`` for any
whitespace-normalised ``x`` whose pieces are in the vocabulary. ``<unk>`` decodes as `` <unk>``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from seq2seq.tokenizers.base import UNK, VocabTokenizer, truncate_at_eos
from seq2seq.tokenizers.vocab import Vocab

SPACE_MARK = "▁"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_APOS = "['’]"
_CLITIC = "(?i:s|re|ve|ll|d|m)\\b"
_NEGATION = f"(?i:n{_APOS}t)\\b"
_ELISION = f"(?i:\\b(?:qu|jusqu|lorsqu|puisqu|quoiqu|presqu|[cdjlmnst])){_APOS}(?=\\w)"


def _marks() -> str:
    """Character-class ranges of the combining marks (Mn, Mc, Me) of the Basic Multilingual Plane."""
    codes = [c for c in range(0x10000) if unicodedata.category(chr(c)).startswith("M")]
    ranges, start = [], codes[0]
    for prev, cur in zip(codes, codes[1:] + [-1]):
        if cur != prev + 1:
            ranges.append(f"{chr(start)}-{chr(prev)}")
            start = cur
    return "".join(ranges)


_MARKS = _marks()
_RUN = f"(?:[^\\W{_CJK}][{_MARKS}]*)+"
TOKEN_RE = re.compile(
    " ?(?:" + "|".join([
        _ELISION,  # l' qu' j'
        _NEGATION,  # n't
        f"{_RUN}(?={_NEGATION})",  # do(n't)
        f"{_APOS}{_CLITIC}",  # 's 'll
        r"\d+(?:[.,]\d+)*",  # 1,000.50
        f"{_RUN}(?:{_APOS}(?!{_CLITIC}){_RUN})*",  # words, aujourd'hui
        f"[{_CJK}]",
        f"\\S[{_MARKS}]*",  # one punctuation mark, symbol or emoji
    ]) + ")"
)


def to_piece(surface: str) -> str:
    """``" word"`` → ``"▁word"``; a piece never starts with ``▁`` unless a space preceded it."""
    return SPACE_MARK + surface[1:] if surface[0] == " " else surface


def to_surface(piece: str) -> str:
    return " " + piece[1:] if piece[0] == SPACE_MARK and len(piece) > 1 else piece


class WordTokenizer(VocabTokenizer):
    kind = "word"

    def __init__(self, min_freq: int = 1, max_size: int | None = None, lowercase: bool = False):
        self.min_freq = min_freq
        self.max_size = max_size
        self.lowercase = lowercase
        self.vocab: Vocab | None = None
        self._lookup: dict[str, int] = {}

    def split(self, text: str) -> list[str]:
        """Surface tokens, each with its leading space (the text itself gets one, like ▁ in SentencePiece)."""
        text = " " + " ".join(text.split())
        return TOKEN_RE.findall(text.lower() if self.lowercase else text)

    def fit(self, texts: Sequence[str]) -> None:
        counts: Counter = Counter()
        for t in texts:
            counts.update(self.split(t))
        self._set_vocab(Vocab.build(Counter({to_piece(s): c for s, c in counts.items()}),
                                    self.min_freq, self.max_size))

    def _set_vocab(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._lookup = {to_surface(p): i for i, p in enumerate(vocab.itos) if i > UNK}

    def encode(self, text: str) -> list[int]:
        get = self._lookup.get
        return [get(s, UNK) for s in self.split(text)]

    def decode(self, ids: Iterable[int]) -> str:
        text = "".join(" <unk>" if i == UNK else to_surface(self.vocab.itos[i]) for i in truncate_at_eos(ids))
        return text.removeprefix(" ")

    def state(self) -> dict:
        return {"kind": self.kind, "min_freq": self.min_freq, "max_size": self.max_size,
                "lowercase": self.lowercase, "itos": list(self.vocab.itos)}

    @classmethod
    def from_state(cls, state: dict) -> WordTokenizer:
        tok = cls(state["min_freq"], state["max_size"], state["lowercase"])
        tok._set_vocab(Vocab(state["itos"]))
        return tok
