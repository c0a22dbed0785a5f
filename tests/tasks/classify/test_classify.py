"""Classification (task=classify): padding never reaches any pooling mode, the CSV/TSV reader and its
errors, stratified splits, macro-F1 by hand, and train → evaluate/predict from the checkpoint alone."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import ROOT, compose_cfg
from sklearn.metrics import f1_score

from seq2seq.checkpoint import load_task
from seq2seq.data.labeled.datamodule import LabeledDataModule
from seq2seq.data.labeled.preparation import encode_texts, read_raw_splits, stratified_split_indices
from seq2seq.data.labeled.reader import read_labeled
from seq2seq.errors import ConfigError, DataError
from seq2seq.models.classifier import POOLINGS, SequenceClassifier, max_pool, mean_pool
from seq2seq.tasks.classify.metrics import classification_metrics, confusion_matrix
from seq2seq.tasks.classify.module import ClassifyTask
from seq2seq.tokenizers import PAD, UNK
from seq2seq.tokenizers.char import CharTokenizer
from seq2seq.train_config import validate_train_config

READER = {"format": "tsv", "delimiter": None, "header": False, "text_col": 0, "label_col": 1, "label_map": {},
          "normalize": "nfc", "lowercase": False, "on_error": "error"}


# -- the model: padding never leaks ----------------------------------------------------------------------
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("cell,bidirectional,layers", [("lstm", True, 2), ("gru", False, 1), ("rnn", True, 1)])
def test_padded_batch_gives_each_examples_own_logits(pooling, cell, bidirectional, layers):
    torch.manual_seed(0)
    model = SequenceClassifier(30, 3, cell=cell, embedding_dim=8, hidden_size=6, num_layers=layers,
                               bidirectional=bidirectional, dropout=0.0, rnn_nonlinearity="tanh", pooling=pooling,
                               mlp_hidden=[5], mlp_dropout=0.0).double().eval()
    with torch.no_grad():
        model.encoder.embedding.weight[PAD] = 100 * torch.randn(8, dtype=torch.float64)  # junk padding vector
    gen = torch.Generator().manual_seed(1)
    lengths = torch.tensor([5, 1, 9, 3, 7])
    seqs = [torch.randint(4, 30, (int(n),), generator=gen) for n in lengths]
    tokens = torch.full((len(seqs), 12), PAD)  # 3 columns more than the longest: all-padding positions too
    for row, s in enumerate(seqs):
        tokens[row, : len(s)] = s
    junk = tokens.clone()
    pad = tokens == PAD
    junk[pad] = torch.randint(4, 30, (int(pad.sum()),), generator=gen)  # real-looking ids after the end
    with torch.no_grad():
        alone = torch.cat([model(s[None], torch.tensor([len(s)]))[0] for s in seqs])
        for batch in (tokens, junk):
            logits, weights = model(batch, lengths)
            torch.testing.assert_close(logits, alone, atol=1e-6, rtol=0)
    if pooling == "attention":
        assert torch.all(weights[pad] == 0)
        torch.testing.assert_close(weights.sum(1), torch.ones(5, dtype=torch.float64))


def test_max_and_mean_pool_see_only_real_positions():
    memory = -torch.rand(2, 4, 3, dtype=torch.float64) - 1.0  # every real value is below -1
    memory[0, 2:] = 0.0  # padding as pad_packed_sequence leaves it
    memory[1, 3:] = 5.0  # or any other junk
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=torch.bool)
    torch.testing.assert_close(max_pool(memory, mask), torch.stack([memory[0, :2].amax(0), memory[1, :3].amax(0)]))
    torch.testing.assert_close(mean_pool(memory, mask), torch.stack([memory[0, :2].mean(0), memory[1, :3].mean(0)]))
    assert torch.all(max_pool(memory, mask) < -1)


# -- reader ----------------------------------------------------------------------------------------------
def test_reader_with_header_picks_columns_by_name(tmp_path):
    path = tmp_path / "reviews.tsv"
    path.write_text("id\tlabel\tsentence\n1\tpos\t  Great   film \n\n2\tneg\ta \"quoted\" bore\n", encoding="utf-8")
    rows, report = read_labeled({**READER, "header": True, "text_col": "sentence", "label_col": "label"}, path)
    assert rows.texts == ["Great film", 'a "quoted" bore'] and rows.labels == ["pos", "neg"]
    assert rows.lines == [2, 4] and report.blank == 1
    with pytest.raises(DataError, match=r"reviews\.tsv:1: no column named 'text'.*id, label, sentence"):
        read_labeled({**READER, "header": True, "text_col": "text", "label_col": "label"}, path)
    with pytest.raises(ConfigError, match="needs data.header=true"):
        read_labeled({**READER, "text_col": "sentence"}, path)


def test_reader_without_header_csv_quoting_and_line_numbers(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('negative,"slow, then\nslower"\npositive,"a ""fine"" film"\npositive\n', encoding="utf-8")
    data = {**READER, "format": "csv", "text_col": 1, "label_col": 0}
    with pytest.raises(DataError, match=r"reviews\.csv:4: expected at least 2 columns separated by ','"):
        read_labeled(data, path)
    rows, report = read_labeled({**data, "on_error": "skip"}, path)
    assert rows.texts == ["slow, then slower", 'a "fine" film'] and rows.labels == ["negative", "positive"]
    assert rows.lines == [1, 3] and report.malformed == 1 and "line 4" in report.summary()


def test_reader_bad_lines_name_file_and_line_or_are_counted(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("good\t1\nno label here\nfine\t0\n   \t1\nok\t \nbetter\t2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.tsv:2: expected at least 2 columns.*data\.on_error=skip"):
        read_labeled(READER, path)
    rows, report = read_labeled({**READER, "on_error": "skip"}, path)
    assert rows.texts == ["good", "fine", "better"] and report.malformed == 3
    mapped = {**READER, "on_error": "skip", "label_map": {"0": "negative", "1": "positive"}}
    rows, report = read_labeled(mapped, path)
    assert rows.labels == ["positive", "negative"] and report.malformed == 4
    with pytest.raises(DataError, match=r"only_bad\.tsv:6: label '2' is not in data\.label_map \(0, 1\)"):
        read_labeled({**mapped, "on_error": "error"}, _only_lines(path, [1, 3, 6]))


def _only_lines(path: Path, keep: list[int]) -> Path:
    """A copy of ``path`` whose lines outside ``keep`` are blank, so line numbers stay the same."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = path.with_name("only_" + path.name)
    out.write_text("".join((line if i in keep else "") + "\n" for i, line in enumerate(lines, 1)), encoding="utf-8")
    return out


def _labeled_cfg(tmp_path: Path, overrides: list[str]) -> dict:
    return validate_train_config(compose_cfg("train", ["task=classify", f"paths.output_dir={tmp_path / 'run'}",
                                                       "paths.cache_dir=null", *overrides]))


def test_unknown_label_in_valid_file_is_an_error_or_skipped_and_counted(tmp_path, caplog):
    train, valid = tmp_path / "train.tsv", tmp_path / "valid.tsv"
    train.write_text("".join(f"text {i}\t{'ab'[i % 2]}\n" for i in range(20)), encoding="utf-8")
    valid.write_text("one\ta\ntwo\tc\nthree\tb\nfour\tc\n", encoding="utf-8")
    files = [f"data.path={train}", f"data.valid_path={valid}", f"data.test_path={train}", "data.header=false",
             "data.text_col=0", "data.label_col=1"]
    with pytest.raises(DataError, match=r"valid\.tsv:2: label 'c' does not occur in the training split \(labels: a, b\)"):
        cfg = _labeled_cfg(tmp_path, files)
        LabeledDataModule(cfg["data"], cfg["tokenizer"]).setup()
    cfg = _labeled_cfg(tmp_path, [*files, "data.unknown_label=skip"])
    dm = LabeledDataModule(cfg["data"], cfg["tokenizer"])
    with caplog.at_level(logging.INFO):
        dm.setup()
    assert dm.split("valid").texts == ["one", "three"] and list(dm.split("valid").labels) == [0, 1]
    assert "skipped 2 of 4 examples whose label is not in the training split (first at" in caplog.text


def test_config_errors_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"data\.text_col='text' names a column, which needs data\.header=true"):
        LabeledDataModule(_labeled_cfg(tmp_path, ["data.header=false"])["data"], {})
    with pytest.raises(ConfigError, match=r"model\.pooling.*expected one of \[last, mean, max, attention\]"):
        _labeled_cfg(tmp_path, ["model.pooling=sum"])


# -- splits, encoding, metrics ---------------------------------------------------------------------------
def test_stratified_split_keeps_class_shares_and_is_seeded():
    labels = ["a"] * 600 + ["b"] * 300 + ["c"] * 100
    parts = stratified_split_indices(labels, 100, 0.2, seed=3)
    assert sorted(i for part in parts.values() for i in part) == list(range(1000))
    assert [len(parts[k]) for k in ("train", "valid", "test")] == [700, 100, 200]
    for name, n in (("valid", 100), ("test", 200)):
        counts = {c: sum(labels[i] == c for i in parts[name]) for c in "abc"}
        assert counts == {"a": 0.6 * n, "b": 0.3 * n, "c": 0.1 * n}
    assert parts == stratified_split_indices(labels, 100, 0.2, seed=3)
    assert parts != stratified_split_indices(labels, 100, 0.2, seed=4)
    with pytest.raises(ConfigError, match="leaving no training data"):
        stratified_split_indices(labels, 500, 500, seed=3)


def test_encode_truncates_to_max_len_and_never_returns_empty():
    tok = CharTokenizer()
    tok.fit(["abcdef"])
    ids, counts = encode_texts(tok, ["abcdef", "ab", "", "xyz"], max_len=3)
    assert [list(ids[i]) for i in range(4)] == [tok.encode("abc"), tok.encode("ab"), [UNK], [UNK] * 3]
    assert counts == {"unknown": 3, "truncated": 1, "empty": 1}


def test_macro_f1_equals_the_hand_computed_value():
    gold = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 1, 1, 2, 2])
    # class 0: TP 2, FP 0, FN 1 → 4/5; class 1: TP 1, FP 1, FN 1 → 2/4; class 2: TP 1, FP 1, FN 0 → 2/3
    m = classification_metrics(gold, pred, ["a", "b", "c", "never seen"])
    assert m["f1_a"] == pytest.approx(80.0) and m["f1_b"] == pytest.approx(50.0)
    assert m["f1_c"] == pytest.approx(200 / 3) and m["f1_never_seen"] == 0.0
    assert m["macro_f1"] == pytest.approx(100 * (4 / 5 + 2 / 4 + 2 / 3) / 3)
    assert m["macro_f1"] == pytest.approx(100 * f1_score(gold, pred, average="macro"))
    assert m["accuracy"] == pytest.approx(100 * 4 / 6)
    assert confusion_matrix(gold, pred, 3).tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_embedded_sentiment_file_is_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("generate_sentiment", ROOT / "data" / "generate_sentiment.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    expected = "text\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in gen.generate_reviews())
    assert (ROOT / "data" / "sentiment.tsv").read_text(encoding="utf-8") == expected
    gen._self_check()


def test_default_data_splits_are_stratified_and_disjoint(tmp_path):
    raw = read_raw_splits(_labeled_cfg(tmp_path, [])["data"])
    assert [len(raw[k]) for k in ("train", "valid", "test")] == [1600, 200, 200]
    lines = [set(raw[k].lines) for k in ("train", "valid", "test")]
    assert not (lines[0] & lines[1] or lines[0] & lines[2] or lines[1] & lines[2])
    share = np.mean([lab == "positive" for lab in raw["train"].labels])
    for k in ("valid", "test"):
        assert abs(np.mean([lab == "positive" for lab in raw[k].labels]) - share) < 0.01


@pytest.mark.parametrize("tokenizer", ["char", "sentencepiece"])
def test_other_tokenizers_prepare_and_predict_from_a_saved_checkpoint(tokenizer, tmp_path):
    extra = ["tokenizer.vocab_size=200"] if tokenizer == "sentencepiece" else []
    cfg = _labeled_cfg(tmp_path, [f"tokenizer={tokenizer}", "data.limit=300", "data.valid_size=30",
                                  "data.test_size=30", "model.embedding_dim=8", "model.hidden_size=8", *extra])
    dm = LabeledDataModule(cfg["data"], cfg["tokenizer"])
    dm.setup()
    task = ClassifyTask.from_config(cfg, dm)
    assert dm.tokenizers["text"].kind == tokenizer and dm.split("train").ids.lengths.min() >= 1
    ckpt = {"state_dict": task.state_dict(), "hyper_parameters": dict(task.hparams)}
    task.on_save_checkpoint(ckpt)
    torch.save(ckpt, tmp_path / "only.ckpt")
    loaded = load_task(tmp_path / "only.ckpt")
    lines = ["The plot is not good.", "I love the kettle."]
    assert loaded.predict_lines(lines, {"batch_size": 8}) == task.eval().predict_lines(lines, {"batch_size": 8})
    with pytest.raises(DataError, match="input line 2 is empty"):
        loaded.predict_lines(["fine", " \t "], {"batch_size": 8})
    metrics = loaded.evaluate_data("test", None, {"batch_size": 16}, tmp_path)
    assert metrics["examples"] == 30 and 0 <= metrics["accuracy"] <= 100


# -- end to end ------------------------------------------------------------------------------------------
def run_cli(module: str, args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=env, timeout=300, check=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from seq2seq.train import train

    tmp = tmp_path_factory.mktemp("classify")
    overrides = ["task=classify", "data.limit=400", "data.valid_size=60", "data.test_size=60",
                 f"paths.output_dir={tmp / 'run'}", f"paths.cache_dir={tmp / 'cache'}", "model.embedding_dim=16",
                 "model.hidden_size=16", "trainer.accelerator=cpu", "trainer.devices=1", "trainer.max_epochs=2",
                 "trainer.log_every_n_steps=1", "trainer.num_sanity_val_steps=0", "trainer.enable_progress_bar=false"]
    return tmp / "run", train(compose_cfg("train", overrides))


@pytest.mark.slow
def test_training_logs_corpus_metrics_and_confusion_matrix(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run, metrics = trained
    assert metrics["monitor"] == "val/accuracy" and metrics["objective"] is not None
    for key in ("test/accuracy", "test/macro_f1", "test/f1_negative", "test/f1_positive", "test/loss"):
        assert key in metrics
    acc = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0}).Reload()
    assert {"val/accuracy", "val/macro_f1", "val/f1_positive", "train/loss"} <= set(acc.Tags()["scalars"])
    assert len(acc.Images("val/confusion_matrix")) == 2  # one per validation
    assert torch.load(run / "checkpoints" / "best.ckpt", weights_only=True)["hyper_parameters"]["labels"] == [
        "negative", "positive"]


@pytest.mark.slow
def test_evaluate_and_predict_from_the_checkpoint_alone_elsewhere(trained, tmp_path):
    run, metrics = trained
    ckpt = tmp_path / "only.ckpt"
    shutil.copy(run / "checkpoints" / "best.ckpt", ckpt)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("seq2seq.evaluate", [f"ckpt_path={ckpt}", f"output_dir={tmp_path / 'eval'}"], elsewhere)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "eval" / "metrics.json").read_text())["metrics"]
    assert report["examples"] == 60 and report["accuracy"] == pytest.approx(metrics["test/accuracy"], abs=1e-4)
    assert report["macro_f1"] == pytest.approx(metrics["test/macro_f1"], abs=1e-4)
    rows = (tmp_path / "eval" / "predictions.tsv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "text\tgold\tpredicted\tprobabilities" and len(rows) == 61
    assert (tmp_path / "eval" / "confusion_matrix.png").stat().st_size > 1000
    texts = "The plot is not good.\nI would recommend the blender.\nAlthough the ending is dull, I loved the film.\n"
    result = run_cli("seq2seq.predict", [f"ckpt_path={ckpt}"], elsewhere, stdin=texts)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        label, probs = line.split("\t")
        probs = json.loads(probs)
        assert set(probs) == {"negative", "positive"} and label == max(probs, key=probs.get)
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
