"""A frequency-built vocabulary with the four reserved specials at ids 0-3."""

from __future__ import annotations

from collections import Counter

from seq2seq.tokenizers.base import SPECIALS, UNK


class Vocab:
    def __init__(self, itos: list[str]):
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with the specials {SPECIALS}")
        self.itos = list(itos)
        self.stoi = {s: i for i, s in enumerate(self.itos)}

    @classmethod
    def build(cls, counts: Counter, min_freq: int = 1, max_size: int | None = None) -> Vocab:
        """Most frequent first (ties broken by the symbol itself, so the order is deterministic)."""
        symbols = sorted((s for s, c in counts.items() if c >= min_freq and s not in SPECIALS),
                         key=lambda s: (-counts[s], s))
        if max_size is not None:
            symbols = symbols[: max(0, max_size - len(SPECIALS))]
        return cls(list(SPECIALS) + symbols)

    def __len__(self) -> int:
        return len(self.itos)

    def id(self, symbol: str) -> int:
        return self.stoi.get(symbol, UNK)
