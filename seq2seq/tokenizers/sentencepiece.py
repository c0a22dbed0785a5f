"""SentencePiece subword tokenizer (BPE, unigram, char or word model), trained in memory.

The data reader has already normalised the text, so SentencePiece's own normalisation is the identity and
``decode(encode(x)) == x`` for any text the model covers (every text with ``byte_fallback``). The specials
are pinned to the project's ids (pad 0, bos 1, eos 2, unk 3); the model proto travels as bytes in
``state()``.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import re
import time
from collections.abc import Iterable, Sequence

import numpy as np
import sentencepiece as spm

from seq2seq.errors import ConfigError, DataError
from seq2seq.ranges import complete_section
from seq2seq.tokenizers.base import BOS, EOS, PAD, SPECIALS, UNK, Tokenizer, truncate_at_eos
from seq2seq.tokenizers.schema import TokenizerConfig

log = logging.getLogger(__name__)

_TOO_HIGH = re.compile(r"Please set it to a value <= (\d+)")
_TOO_LOW = re.compile(r"smaller than required_chars\. (\d+) vs (\d+)")


class SentencePieceTokenizer(Tokenizer):
    kind = "sentencepiece"

    def __init__(self, vocab_size: int = 8000, model_type: str = "bpe", character_coverage: float = 1.0,
                 byte_fallback: bool = False, user_defined_symbols: Sequence[str] = (),
                 lowercase: bool = False, num_threads: int | None = None):
        self.vocab_size_requested = vocab_size
        self.model_type = model_type
        self.character_coverage = character_coverage
        self.byte_fallback = byte_fallback
        self.user_defined_symbols = list(user_defined_symbols)
        self.lowercase = lowercase
        self.num_threads = num_threads or min(os.cpu_count() or 1, 16)  # encoding only; not part of state
        self.model_proto: bytes | None = None
        self.sp: spm.SentencePieceProcessor | None = None

    def _trainer_args(self) -> dict:
        specials = dict(zip(("pad", "bos", "eos", "unk"), zip((PAD, BOS, EOS, UNK), SPECIALS)))
        args = {f"{name}_id": i for name, (i, _) in specials.items()}
        args.update({f"{name}_piece": piece for name, (_, piece) in specials.items()})
        args.update(vocab_size=self.vocab_size_requested, model_type=self.model_type,
                    character_coverage=self.character_coverage, byte_fallback=self.byte_fallback,
                    normalization_rule_name="identity", num_threads=self.num_threads, minloglevel=2)
        if self.user_defined_symbols:
            args["user_defined_symbols"] = self.user_defined_symbols
        return args

    def fit(self, texts: Sequence[str]) -> None:
        texts = [t.lower() if self.lowercase else t for t in texts if t.strip()]
        if not texts:
            raise DataError("cannot train SentencePiece: the training texts are empty; check data.path")
        start, buf = time.perf_counter(), io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_writer=buf, **self._trainer_args())
        except RuntimeError as err:
            raise self._explain(str(err)) from None
        self._load(buf.getvalue())
        log.info("trained a SentencePiece %s model of %d pieces on %d texts in %.1fs", self.model_type,
                 self.vocab_size, len(texts), time.perf_counter() - start)

    def _explain(self, message: str) -> ConfigError:
        """SentencePiece's training error as a one-line message naming the config key and its fix."""
        asked = f"tokenizer.vocab_size={self.vocab_size_requested}"
        if m := _TOO_HIGH.search(message):
            n = m.group(1)
            return ConfigError(f"{asked} is too large for this training data: at most {n} pieces can be "
                               f"learned; set tokenizer.vocab_size<={n}")
        if m := _TOO_LOW.search(message):
            need = m.group(2)
            return ConfigError(f"{asked} is too small for this training data: its characters (at "
                               f"tokenizer.character_coverage={self.character_coverage}) and the specials "
                               f"need {need} pieces; set tokenizer.vocab_size>={need} or lower the coverage")
        detail = message.splitlines()[0].split("] ")[-1] if message else "unknown error"
        return ConfigError(f"SentencePiece training failed: {detail}")

    def _load(self, model_proto: bytes) -> None:
        self.model_proto = bytes(model_proto)
        self.sp = spm.SentencePieceProcessor(model_proto=self.model_proto, num_threads=self.num_threads)

    def encode(self, text: str) -> list[int]:
        return self.sp.encode(text.lower() if self.lowercase else text)

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        """One multi-threaded SentencePiece call on the distinct texts (parallel corpora repeat many
        sentences), flattened into int32 ids and int64 offsets."""
        texts = [t.lower() for t in texts] if self.lowercase else list(texts)
        unique = list(dict.fromkeys(texts))
        encoded = self.sp.encode(unique, num_threads=self.num_threads) if unique else []
        if len(unique) < len(texts):
            by_text = dict(zip(unique, encoded))
            encoded = [by_text[t] for t in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        ids = np.fromiter(itertools.chain.from_iterable(encoded), dtype=np.int32, count=int(offsets[-1]))
        return ids, offsets, int(np.count_nonzero(ids == UNK))

    def decode(self, ids: Iterable[int]) -> str:
        return self.sp.decode(truncate_at_eos(ids))

    def pieces(self, ids: Iterable[int]) -> list[str]:
        return [self.sp.id_to_piece(int(i)) for i in ids]

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    def state(self) -> dict:
        return {"kind": self.kind, "vocab_size": self.vocab_size_requested, "model_type": self.model_type,
                "character_coverage": self.character_coverage, "byte_fallback": self.byte_fallback,
                "user_defined_symbols": list(self.user_defined_symbols), "lowercase": self.lowercase,
                "model_proto": self.model_proto}

    @classmethod
    def from_state(cls, state: dict) -> SentencePieceTokenizer:
        # A state saved before one of its settings existed: TokenizerConfig's default for it, the one default.
        s = complete_section(state, TokenizerConfig)
        tok = cls(s["vocab_size"], s["model_type"], s["character_coverage"], s["byte_fallback"],
                  s["user_defined_symbols"], s["lowercase"])
        if state.get("model_proto") is not None:  # None: a state saved before training (no model yet)
            tok._load(state["model_proto"])
        return tok

    def __getstate__(self) -> dict:  # pickled (ddp_spawn, DataLoader workers) as its plain state
        return self.state()

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(SentencePieceTokenizer.from_state(state).__dict__)
