"""model.pretrained_source / pretrained_target / freeze_pretrained: word vectors into seq2seq embeddings."""

from __future__ import annotations

import logging

import pytest
import torch
from conftest import compose_cfg

from seq2seq.errors import DataError
from seq2seq.models.pretrained import load_pretrained
from seq2seq.tokenizers.word import WordTokenizer
from seq2seq.train import train

VECTORS = {"the": [1.0, 2.0, 3.0, 4.0], "cat": [-1.0, 0.5, 0.0, 2.0], "zebra": [9.0, 9.0, 9.0, 9.0]}


def write_vectors(path, vectors: dict[str, list[float]], header: bool = False):
    lines = [f"{len(vectors)} {len(next(iter(vectors.values())))}"] if header else []
    lines += [" ".join([word, *map(str, values)]) for word, values in vectors.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tokenizer() -> WordTokenizer:
    tok = WordTokenizer()
    tok.fit(["the cat sat on the mat", "(the dog)"])  # "▁the" after a space, "the" after "("
    return tok


@pytest.mark.parametrize("header", [False, True], ids=["glove", "word2vec"])
def test_found_words_are_copied_and_the_others_keep_their_init(tmp_path, tokenizer, header):
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(tokenizer.vocab_size, 4)
    before = embedding.weight.detach().clone()
    found = load_pretrained(embedding, write_vectors(tmp_path / "v.txt", VECTORS, header), tokenizer, False,
                            "model.pretrained_source")
    stoi = tokenizer.vocab.stoi
    copied = [stoi["▁the"], stoi["the"], stoi["▁cat"]]
    assert found == 3
    for i in copied:
        word = tokenizer.vocab.itos[i].lstrip("▁")
        assert embedding.weight[i].tolist() == VECTORS[word]
    others = [i for i in range(tokenizer.vocab_size) if i not in copied]
    assert torch.equal(embedding.weight[others], before[others])
    assert embedding.weight.requires_grad


def test_frozen_vectors_stay_after_an_optimizer_step(tmp_path, tokenizer):
    torch.manual_seed(0)
    frozen, learning = torch.nn.Embedding(tokenizer.vocab_size, 4), torch.nn.Embedding(tokenizer.vocab_size, 4)
    path = write_vectors(tmp_path / "v.txt", VECTORS)
    load_pretrained(frozen, path, tokenizer, True, "model.pretrained_source")
    load_pretrained(learning, path, tokenizer, False, "model.pretrained_target")
    before = frozen.weight.detach().clone()
    params = [p for p in (*frozen.parameters(), *learning.parameters()) if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=0.1)
    ids = torch.arange(tokenizer.vocab_size)
    (frozen(ids).sum() + learning(ids).pow(2).sum()).backward()
    optimizer.step()
    assert torch.equal(frozen.weight, before) and not frozen.weight.requires_grad
    assert learning.weight[tokenizer.vocab.stoi["▁the"]].tolist() != VECTORS["the"]


def test_dimension_mismatch_names_the_file_and_the_setting(tmp_path, tokenizer):
    path = write_vectors(tmp_path / "glove.3d.txt", {"the": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match=r"glove\.3d\.txt:1: .* set model\.embedding_dim=3$"):
        load_pretrained(torch.nn.Embedding(tokenizer.vocab_size, 4), path, tokenizer, False, "model.pretrained_source")
    with pytest.raises(DataError, match=r"nope\.txt: no such file; set model\.pretrained_target"):
        load_pretrained(torch.nn.Embedding(tokenizer.vocab_size, 4), tmp_path / "nope.txt", tokenizer, False,
                        "model.pretrained_target")


@pytest.mark.slow
@pytest.mark.parametrize("freeze", [True, False], ids=["frozen", "learning"])
def test_training_with_pretrained_vectors(train_overrides, tmp_path, caplog, freeze):
    """A few training steps from `model.pretrained_source=... model.pretrained_target=...`: the rows of the
    file's characters start as the file's vectors and are still exactly them in the checkpoint when frozen."""
    letters = {c: [float(i + 1)] * 8 for i, c in enumerate("abc")}
    path = write_vectors(tmp_path / "chars.txt", {**letters, "not-a-char": [0.0] * 8})
    overrides = [*train_overrides, "model.embedding_dim=8", f"model.pretrained_source={path}",
                 f"model.pretrained_target={path}", f"model.freeze_pretrained={str(freeze).lower()}",
                 "test_after_fit=false"]
    with caplog.at_level(logging.INFO, logger="seq2seq.tasks.seq2seq.module"):
        train(compose_cfg("train", overrides))
    assert "3 of 8 source vocabulary entries initialised" in caplog.text  # the corpus has 8 letters
    assert "3 of 8 target vocabulary entries initialised" in caplog.text
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    for side, module in (("source", "encoder"), ("target", "decoder")):
        itos = ckpt["seq2seq"]["tokenizers"][side]["itos"]
        table = ckpt["state_dict"][f"model.{module}.embedding.weight"]
        kept = [table[itos.index(c)].tolist() == vector for c, vector in letters.items()]
        assert all(kept) if freeze else not any(kept), (side, kept)
