"""Char, word and SentencePiece tokenizers: round trips, state, errors, per-side config, prepared-data cache."""

from __future__ import annotations

import itertools
import logging
import pickle

import numpy as np
import pytest
from omegaconf import OmegaConf

from seq2seq.data.normalize import normalize_text
from seq2seq.data.pairs import preparation as prepare
from seq2seq.errors import ConfigError, DataError
from seq2seq.tasks.seq2seq.config import ParallelDataConfig
from seq2seq.tokenizers import (
    SPECIALS,
    UNK,
    build_tokenizer,
    load_tokenizer_file,
    save_tokenizer_files,
    tokenizer_from_state,
)
from seq2seq.tokenizers.word import WordTokenizer

RAW = [
    "Hello, world!", "I don't know; it's John's book.", "We'll see\tthe  results tomorrow.",
    "L'homme qu'il aime n'est pas là.", "Aujourd'hui, c'est l'été : 1,000.50 € à Zürich !",
    "Ça va ? Très bien, merci.", "Où est   la gare ?", "我爱你。猫が好きです。", "한국어 문장입니다.",
    "Emoji 🙂👍🏽 and ❤️ too.", "naïve café — “quoted” «guillemets»", "Ελληνικά και русский текст.",
    "हिन्दी भाषा", "Tab\tseparated\twords and e\u0301 combining", "x",
]
TEXTS = [normalize_text(t) for t in RAW]  # what the reader hands over: NFC, white space folded
SP_SMALL = {"kind": "sentencepiece", "vocab_size": 200, "model_type": "bpe"}


def fitted(cfg: dict, texts: list[str] = TEXTS):
    tok = build_tokenizer(cfg)
    tok.fit(texts)
    return tok


@pytest.mark.parametrize("cfg", [
    {"kind": "char"}, {"kind": "word"}, SP_SMALL, {**SP_SMALL, "model_type": "unigram", "vocab_size": 135},
    {**SP_SMALL, "model_type": "char"}, {**SP_SMALL, "model_type": "word", "vocab_size": 67},
], ids=["char", "word", "sp-bpe", "sp-unigram", "sp-char", "sp-word"])
def test_round_trip_on_varied_unicode(cfg):
    tok = fitted(cfg)
    for text in TEXTS:
        ids = tok.encode(text)
        assert UNK not in ids, (text, tok.pieces(ids))
        assert tok.decode(ids) == text
    ids, offsets, n_unk = tok.encode_batch(TEXTS)
    assert ids.dtype == np.int32 and offsets.dtype == np.int64 and n_unk == 0
    assert [ids[a:b].tolist() for a, b in itertools.pairwise(offsets)] == [tok.encode(t) for t in TEXTS]
    assert [tok.pieces([i])[0] for i in range(4)] == list(SPECIALS)


def test_word_splitting_and_spacing():
    tok = WordTokenizer()
    assert tok.split("l'homme qu'il") == [" l'", "homme", " qu'", "il"]
    assert tok.split("I don't, it's") == [" I", " do", "n't", ",", " it", "'s"]
    assert tok.split("aujourd'hui 1,000.50 我爱") == [" aujourd'hui", " 1,000.50", " 我", "爱"]
    tok.fit(["Hello, world!", "Hello ,world !"])
    assert tok.pieces(tok.encode("Hello, world!")) == ["▁Hello", ",", "▁world", "!"]
    assert tok.pieces(tok.encode("Hello ,world !")) == ["▁Hello", "▁,", "world", "▁!"]
    assert tok.decode(tok.encode("Hello ,world !")) == "Hello ,world !"


def test_word_unknowns_caps_and_lowercase():
    tok = fitted({"kind": "word", "min_freq": 2}, ["a b a b c", "a b"])
    assert tok.vocab_size == len(SPECIALS) + 2
    assert tok.encode("a c") == [tok.encode("a")[0], UNK]
    assert tok.decode(tok.encode("a zzz b")) == "a <unk> b"
    assert fitted({"kind": "word", "max_size": 5}, ["a b a b c"]).vocab_size == 5
    low = fitted({"kind": "word", "lowercase": True}, ["Hello World"])
    assert low.decode(low.encode("HELLO world")) == "hello world"


def test_sentencepiece_vocab_size_is_exact_and_specials_pinned():
    tok = fitted({**SP_SMALL, "vocab_size": 123, "user_defined_symbols": ["<sep>"]})
    assert tok.vocab_size == 123
    assert [tok.sp.id_to_piece(i) for i in range(4)] == list(SPECIALS)
    assert tok.sp.pad_id() == 0 and tok.sp.bos_id() == 1 and tok.sp.eos_id() == 2 and tok.sp.unk_id() == 3
    assert "<sep>" in tok.pieces(tok.encode("a <sep> b"))
    assert tok.decode(tok.encode("x") + [2, 5, 6]) == "x"  # stops at EOS


def test_sentencepiece_byte_fallback_covers_unseen_characters():
    tok = fitted({**SP_SMALL, "vocab_size": 400, "byte_fallback": True})
    assert UNK not in tok.encode("ñ 🚀 水")
    assert tok.decode(tok.encode("ñ 🚀 水")) == "ñ 🚀 水"


@pytest.mark.parametrize("cfg", [{"kind": "char"}, {"kind": "word", "lowercase": True}, SP_SMALL])
def test_state_round_trip_gives_identical_ids(cfg, tmp_path):
    tok = fitted(cfg)
    again = tokenizer_from_state(tok.state())
    assert [again.encode(t) for t in TEXTS] == [tok.encode(t) for t in TEXTS]
    assert pickle.loads(pickle.dumps(tok)).encode(TEXTS[1]) == tok.encode(TEXTS[1])
    (path,) = save_tokenizer_files({"target": tok}, tmp_path)
    assert path.name == ("tokenizer_target.model" if cfg["kind"] == "sentencepiece" else "tokenizer_target.json")
    assert [load_tokenizer_file(path).encode(t) for t in TEXTS] == [tok.encode(t) for t in TEXTS]


def test_too_large_vocabulary_names_the_largest_size():
    with pytest.raises(ConfigError) as err:
        fitted({**SP_SMALL, "vocab_size": 8000})
    message = str(err.value)
    limit = int(message.rsplit("<=", 1)[1])
    assert "tokenizer.vocab_size=8000 is too large" in message and "\n" not in message
    assert fitted({**SP_SMALL, "vocab_size": limit}).vocab_size == limit


def test_too_small_vocabulary_and_empty_texts():
    with pytest.raises(ConfigError, match=r"tokenizer.vocab_size=10 is too small .*vocab_size>=\d+"):
        fitted({**SP_SMALL, "vocab_size": 10})
    with pytest.raises(DataError, match="empty"):
        fitted(SP_SMALL, ["", " "])
    with pytest.raises(DataError, match="training split is empty"):
        prepare.fit_tokenizers({"kind": "char"}, [], [])
    with pytest.raises(ConfigError, match="model_type='bep'"):
        build_tokenizer({"kind": "sentencepiece", "model_type": "bep"})


def test_shared_and_per_side_tokenizers():
    src, tgt = ["the cat sat", "a dog ran"], ["le chat", "un chien"]
    a, b = prepare.fit_tokenizers({"kind": "word", "shared": True}, src, tgt)
    assert a is b and UNK not in a.encode("the chat")
    a, b = prepare.fit_tokenizers({"kind": "word"}, src, tgt)
    assert a is not b and a.encode("chat") == [UNK] and b.encode("chat") != [UNK]
    a, b = prepare.fit_tokenizers({"kind": "word", "target": {"kind": "char", "max_size": 6}}, src, tgt)
    assert (a.kind, b.kind, b.vocab_size) == ("word", "char", 6)
    with pytest.raises(ConfigError, match="tokenizer.shared=true"):
        prepare.fit_tokenizers({"kind": "word", "shared": True, "target": {"kind": "char"}}, src, tgt)
    with pytest.raises(ConfigError, match="did you mean 'vocab_size'"):
        prepare.fit_tokenizers({"kind": "word", "target": {"vocab_sise": 10}}, src, tgt)


def test_per_side_sentencepiece_error_names_the_side():
    src, tgt = TEXTS, TEXTS
    a, b = prepare.fit_tokenizers({"kind": "char", "target": {**SP_SMALL}}, src, tgt)
    assert (a.kind, b.kind, b.vocab_size) == ("char", "sentencepiece", 200)
    with pytest.raises(ConfigError, match=r"^target tokenizer: tokenizer.vocab_size=9000 is too large"):
        prepare.fit_tokenizers({"kind": "char", "target": {**SP_SMALL, "vocab_size": 9000}}, src, tgt)


def _data_cfg(path) -> dict:
    cfg = OmegaConf.structured(ParallelDataConfig(path=str(path), valid_size=0.2, test_size=0.2))
    return OmegaConf.to_container(cfg, enum_to_str=True)


def test_prepared_data_cache_reuse_and_invalidation(tmp_path, monkeypatch, caplog):
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{s}\t{t}\n" for s, t in zip(TEXTS, reversed(TEXTS))), encoding="utf-8")
    builds = []
    real_build = prepare._build
    monkeypatch.setattr(prepare, "_build", lambda d, t: builds.append(1) or real_build(d, t))
    cache, data, tok_cfg = str(tmp_path / "cache"), _data_cfg(path), {**SP_SMALL, "vocab_size": 150}

    first = prepare.prepare_pairs(data, tok_cfg, cache)
    with caplog.at_level(logging.INFO, logger="seq2seq.data.pairs.preparation"):
        second = prepare.prepare_pairs(data, tok_cfg, cache)
    assert len(builds) == 1 and "loaded prepared data from cache" in caplog.text
    assert second.tgt_tokenizer.state() == first.tgt_tokenizer.state()
    assert second.splits["train"].src_text == first.splits["train"].src_text
    assert np.array_equal(second.splits["train"].tgt.lengths, first.splits["train"].tgt.lengths)

    prepare.prepare_pairs(data, {**tok_cfg, "vocab_size": 140}, cache)
    assert len(builds) == 2  # tokenizer config changed
    path.write_text(path.read_text(encoding="utf-8") + "one more\tencore une\n", encoding="utf-8")
    prepare.prepare_pairs(data, tok_cfg, cache)
    assert len(builds) == 3  # file content changed
    prepare.prepare_pairs(data, tok_cfg, cache)
    assert len(builds) == 3
