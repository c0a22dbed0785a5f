"""`python -m seq2seq.prepare`: streaming preparation into memory-mapped arrays, and training from them.

The prepared arrays must be exactly what the in-memory path builds (same splits, vocabulary, ids, length
filter), training from them must draw the same batches and reach the same loss, and a directory that does
not match the run (settings, input file, damaged arrays) must be refused with a one-line fix.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, compose_cfg

from seq2seq.data.pairs.datamodule import PairDataModule
from seq2seq.data.pairs.preparation import prepare_pairs, read_raw_splits
from seq2seq.data.pairs.prepared_dir import open_prepared
from seq2seq.errors import DataError
from seq2seq.prepare import prepare
from seq2seq.train_config import validate_train_config

CORPUS = ROOT / "data" / "eng-fra.tsv"
TINY_MODEL = ["model.embedding_dim=16", "model.hidden_size=16", "model.encoder_layers=1", "model.decoder_layers=1"]


def train_cfg(tmp: Path, overrides: list[str]) -> dict:
    return validate_train_config(compose_cfg("train", [
        f"paths.output_dir={tmp / 'run'}", "paths.cache_dir=null", "debug=fast", "trainer.accelerator=cpu",
        "trainer.devices=1", "logger.tensorboard=false", "callbacks.save_last=false", *TINY_MODEL, *overrides]))


def prepare_with(overrides: list[str]) -> dict:
    return prepare(compose_cfg("prepare", overrides))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """The embedded corpus prepared by the real command line (Hydra composition of conf/prepare.yaml)."""
    out = tmp_path_factory.mktemp("prep") / "eng-fra-char"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "seq2seq.prepare", f"data.prepared={out}"], cwd=out.parent,
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "eng-fra.tsv: 4000 pairs read" in done.stderr  # the reader's own report
    return out


def assert_same_splits(in_memory, mapped) -> None:
    assert in_memory.src_tokenizer.state() == mapped.src_tokenizer.state()
    assert in_memory.tgt_tokenizer.state() == mapped.tgt_tokenizer.state()
    for name, expected in in_memory.splits.items():
        got = mapped.splits[name]
        for side in ("src", "tgt"):
            assert np.array_equal(getattr(expected, side).ids, getattr(got, side).ids), (name, side)
            assert np.array_equal(getattr(expected, side).offsets, getattr(got, side).offsets), (name, side)
        assert np.array_equal(expected.pair_lengths, got.pair_lengths)
        if name != "train":
            assert (got.src_text, got.tgt_text) == (expected.src_text, expected.tgt_text)


def test_arrays_round_trip_to_the_readers_text(prepared, tmp_path):
    data = train_cfg(tmp_path, [f"data.prepared={prepared}"])["data"]
    got = open_prepared(data, train_cfg(tmp_path, [])["tokenizer"])
    src_tok, tgt_tok = got.src_tokenizer, got.tgt_tokenizer
    for name, (src_text, tgt_text) in read_raw_splits(data).items():
        split = got.splits[name]
        assert isinstance(split.src.ids.base, np.memmap) and isinstance(split.stored_lengths, np.memmap)
        assert len(split) == len(src_text)  # nothing dropped by max_len=200 on this corpus
        for side, tok, texts in (("src", src_tok, src_text), ("tgt", tgt_tok, tgt_text)):
            ragged = getattr(split, side)
            assert all(ragged[i].tolist() == tok.encode(t) for i, t in enumerate(texts))
            if name == "train":  # its vocabulary covers it: decoding gives the text back exactly
                assert [tok.decode(ragged[i]) for i in range(len(split))] == texts
    assert got.splits["train"].src_text is None  # the big split keeps no Python strings
    assert PairDataModule.eval_examples(data, "test", None) == read_raw_splits(data)["test"]  # evaluate's references
    assert len(pickle.dumps(got.splits["train"].src)) < 1000  # workers reopen the files, never copy them


@pytest.mark.parametrize("overrides", [
    ["data.reverse=true", "data.lowercase=true", "data.limit=1500", "data.max_len=25", "tokenizer=word"],
    ["tokenizer.shared=true", "data.valid_size=0.1", "data.test_size=50", "data.min_len=5"],
    ["EXPLICIT"],
])
def test_same_ids_as_the_in_memory_path(overrides, tmp_path):
    if overrides == ["EXPLICIT"]:  # split files given: path is all training data
        lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
        for name, part in (("valid", lines[:100]), ("test", lines[100:200])):
            (tmp_path / f"{name}.tsv").write_text("".join(part), encoding="utf-8")
        overrides = [f"data.valid_path={tmp_path / 'valid.tsv'}", f"data.test_path={tmp_path / 'test.tsv'}"]
    overrides = [*overrides, f"data.prepared={tmp_path / 'prep'}"]
    manifest = prepare_with([*overrides, "prepare.chunk_pairs=700"])  # several chunks per split
    cfg = train_cfg(tmp_path, overrides)
    prepare_pairs(cfg["data"], cfg["tokenizer"], str(tmp_path / "cache"))  # the torch.save cache still works:
    cached = prepare_pairs(cfg["data"], cfg["tokenizer"], str(tmp_path / "cache"))  # read back from it here
    assert_same_splits(cached, open_prepared(cfg["data"], cfg["tokenizer"]))
    assert manifest["counts"]["train"]["pairs"] == len(open_prepared(cfg["data"], cfg["tokenizer"]).splits["train"])


def test_sentencepiece_trains_on_a_bounded_sample(tmp_path, caplog):
    overrides = ["tokenizer=sentencepiece", "tokenizer.vocab_size=400", "tokenizer.byte_fallback=true",
                 "data.limit=1200", f"data.prepared={tmp_path / 'prep'}"]
    with caplog.at_level("INFO"):
        prepare_with([*overrides, "prepare.sentencepiece_sample_pairs=300"])
    assert "sample of 300 of 600 training pairs" in caplog.text
    cfg = train_cfg(tmp_path, overrides)
    got = open_prepared(cfg["data"], cfg["tokenizer"])
    valid = got.splits["valid"]
    assert [got.tgt_tokenizer.decode(valid.tgt[i]) for i in range(len(valid))] == valid.tgt_text


def test_training_from_prepared_draws_the_same_batches_and_loss(prepared, tmp_path):
    from seq2seq.train import train

    runs = {}
    for name, extra in (("tsv", []), ("mmap", [f"data.prepared={prepared}"])):
        cfg = train_cfg(tmp_path / name, [*extra, "trainer.deterministic=true", "test_after_fit=false"])
        dm = PairDataModule(cfg["data"], cfg["tokenizer"], None, cfg["seed"])
        dm.setup("fit")
        loader = dm.train_dataloader()
        if name == "mmap":  # the sampler sorts the memory-mapped lengths in place: no per-pair copy
            assert np.shares_memory(loader.batch_sampler.lengths, dm.split("train").stored_lengths)
        batches = [b for _, b in zip(range(5), loader)]
        runs[name] = (batches, train(cfg))
    (tsv_batches, tsv_metrics), (mmap_batches, mmap_metrics) = runs["tsv"], runs["mmap"]
    for a, b in zip(tsv_batches, mmap_batches):
        assert all(np.array_equal(a[k], b[k]) for k in a)
    assert mmap_metrics["global_step"] == tsv_metrics["global_step"] == 5
    assert mmap_metrics["objective"] == pytest.approx(tsv_metrics["objective"], abs=1e-6)
    assert (tmp_path / "mmap" / "run" / "metrics.json").is_file()


def _refused(data: dict, tok_cfg: dict) -> str:
    with pytest.raises(DataError) as err:
        open_prepared(data, tok_cfg)
    message = str(err.value)
    assert "\n" not in message and "python -m seq2seq.prepare" in message
    return message


def test_mismatched_settings_or_input_are_refused(prepared, tmp_path):
    cfg = train_cfg(tmp_path, [f"data.prepared={prepared}", "tokenizer.min_freq=2"])
    message = _refused(cfg["data"], cfg["tokenizer"])
    assert str(prepared) in message and "tokenizer.min_freq=1 there, 2 in this run" in message
    cfg = train_cfg(tmp_path, [f"data.prepared={prepared}", "data.lowercase=true"])
    assert "data.lowercase=false there, true in this run" in _refused(cfg["data"], cfg["tokenizer"])

    corpus = tmp_path / "copy.tsv"
    shutil.copy(CORPUS, corpus)
    prepare_with([f"data.path={corpus}", f"data.prepared={tmp_path / 'prep'}"])
    with corpus.open("a", encoding="utf-8") as fh:
        fh.write("One more.\tEncore une.\n")
    cfg = train_cfg(tmp_path, [f"data.path={corpus}", f"data.prepared={tmp_path / 'prep'}"])
    message = _refused(cfg["data"], cfg["tokenizer"])
    assert f"data.path={corpus}" in message and "content changed" in message


def test_truncated_or_missing_arrays_are_refused(prepared, tmp_path):
    copy = tmp_path / "prep"
    shutil.copytree(prepared, copy)
    cfg = train_cfg(tmp_path, [f"data.prepared={copy}"])
    ids = copy / "train" / "tgt_ids.npy"
    os.truncate(ids, ids.stat().st_size - 4)
    message = _refused(cfg["data"], cfg["tokenizer"])
    assert str(ids) in message and "truncated" in message
    (copy / "manifest.json").unlink()
    assert "no manifest.json" in _refused(cfg["data"], cfg["tokenizer"])


def test_prepare_replaces_only_prepared_directories(tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    from seq2seq.errors import ConfigError

    with pytest.raises(ConfigError, match="not a prepared directory"):
        prepare_with([f"data.prepared={target}", "data.limit=700"])
    assert (target / "notes.txt").read_text() == "mine"
