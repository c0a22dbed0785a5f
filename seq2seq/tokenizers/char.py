"""Character tokenizer: one Unicode code point per token."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from seq2seq.tokenizers.base import UNK, VocabTokenizer, truncate_at_eos
from seq2seq.tokenizers.vocab import Vocab


class CharTokenizer(VocabTokenizer):
    kind = "char"

    def __init__(self, min_freq: int = 1, max_size: int | None = None):
        self.min_freq = min_freq
        self.max_size = max_size
        self.vocab: Vocab | None = None

    def fit(self, texts: Sequence[str]) -> None:
        counts: Counter = Counter()
        for t in texts:
            counts.update(t)
        self.vocab = Vocab.build(counts, self.min_freq, self.max_size)

    def encode(self, text: str) -> list[int]:
        return [self.vocab.id(c) for c in text]

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        # One pass over all code points: map each distinct code point once, then gather.
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in texts], out=offsets[1:])
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        if codes.size == 0:
            return np.zeros(0, dtype=np.int32), offsets, 0
        distinct, inverse = np.unique(codes, return_inverse=True)
        table = np.array([self.vocab.id(chr(c)) for c in distinct], dtype=np.int32)
        ids = table[inverse]
        return ids, offsets, int((ids == UNK).sum())

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.vocab.itos[i] for i in truncate_at_eos(ids))

    def state(self) -> dict:
        return {"kind": self.kind, "min_freq": self.min_freq, "max_size": self.max_size,
                "itos": list(self.vocab.itos)}

    @classmethod
    def from_state(cls, state: dict) -> CharTokenizer:
        tok = cls(state["min_freq"], state["max_size"])
        tok.vocab = Vocab(state["itos"])
        return tok
