"""The tokenizer interface every kind (char, word, SentencePiece) implements.

Ids 0-3 are reserved for the same four specials in every tokenizer, so models, collate and search never
need to ask which tokenizer they run with.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING
from collections.abc import Iterable, Sequence

if TYPE_CHECKING:
    import numpy as np


PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


class Tokenizer(ABC):
    """Maps text to ids and back. ``state()`` holds only plain values (str, int, float, bool, list, dict,
    bytes) so it can live inside a ``weights_only`` checkpoint; ``from_state`` rebuilds it exactly."""

    kind: str = ""

    @abstractmethod
    def fit(self, texts: Sequence[str]) -> None:
        """Learn the vocabulary (or subword model) from training texts."""

    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Ids of one text, without BOS/EOS."""

    @abstractmethod
    def decode(self, ids: Iterable[int]) -> str:
        """Text of ids; specials are dropped and decoding stops at the first EOS."""

    @abstractmethod
    def pieces(self, ids: Iterable[int]) -> list[str]:
        """Printable token strings of ids (for attention heatmap labels)."""

    @property
    @abstractmethod
    def vocab_size(self) -> int: ...

    @abstractmethod
    def state(self) -> dict:
        """Plain-value state; ``state()["kind"]`` names the class for ``tokenizer_from_state``."""

    @classmethod
    @abstractmethod
    def from_state(cls, state: dict) -> Tokenizer: ...

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        """Encode many texts into one flat int32 array plus int64 offsets (len(texts) + 1).

        Returns (ids, offsets, n_unknown). Subclasses override this with a vectorised version.
        """
        import numpy as np  # here: the specials above are imported by config validation, which needs no numpy
        encoded = [self.encode(t) for t in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        ids = np.fromiter((i for e in encoded for i in e), dtype=np.int32, count=int(offsets[-1]))
        return ids, offsets, int((ids == UNK).sum())


def truncate_at_eos(ids: Iterable[int]) -> list[int]:
    """Ids up to (not including) the first EOS, with PAD/BOS removed."""
    out = []
    for i in ids:
        i = int(i)
        if i == EOS:
            break
        if i in (PAD, BOS):
            continue
        out.append(i)
    return out


class VocabTokenizer(Tokenizer):
    """A tokenizer over a ``Vocab`` of its own (char, word): one id per vocabulary entry."""

    vocab = None  # a seq2seq.tokenizers.vocab.Vocab once fitted or loaded

    def pieces(self, ids: Iterable[int]) -> list[str]:
        return [self.vocab.itos[int(i)] for i in ids]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)
