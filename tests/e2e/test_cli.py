"""End to end: train a few steps, then evaluate and predict from the checkpoint alone, elsewhere."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import torch
from conftest import compose_cfg, make_reversal_pairs, run_cli
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from seq2seq.errors import DataError
from seq2seq.train import train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    corpus = tmp / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(120)), encoding="utf-8")
    overrides = [f"data.path={corpus}", "data.valid_size=20", "data.test_size=20", "data.batch_size=16",
                 f"paths.output_dir={tmp / 'run'}", f"paths.cache_dir={tmp / 'cache'}", "debug=fast",
                 "trainer.accelerator=cpu", "trainer.devices=1", "trainer.max_epochs=2"]
    metrics = train(compose_cfg("train", overrides))
    return tmp / "run", metrics


def test_training_writes_checkpoints_config_and_metrics(trained):
    run, metrics = trained
    assert (run / "checkpoints" / "best.ckpt").is_file() and (run / "checkpoints" / "last.ckpt").is_file()
    assert metrics["monitor"] == "val/chrf" and metrics["objective"] is not None
    for key in ("test/chrf", "test/bleu", "test/loss", "test/ppl", "test/exact_match"):
        assert key in metrics
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["test/chrf"] == pytest.approx(metrics["test/chrf"])
    assert "model:" in (run / "config.yaml").read_text()


def test_tensorboard_holds_curves_samples_heatmap_and_hparams(trained):
    run, _ = trained
    acc = EventAccumulator(str(run / "tensorboard"), size_guidance={"tensors": 0, "images": 0}).Reload()
    scalars = set(acc.Tags()["scalars"])
    for tag in ("train/loss", "train/ppl", "train/grad_norm", "val/loss", "val/ppl", "val/bleu", "val/chrf",
                "val/exact_match", "test/chrf"):
        assert tag in scalars, tag
    assert any(t.startswith("lr") for t in scalars)
    assert "val/attention" in acc.Tags()["images"]
    assert any(t.startswith("val/samples") for t in acc.Tags()["tensors"])
    plugins = {p for p in os.listdir(run / "tensorboard")}
    events = "".join(p for p in plugins if p.startswith("events"))
    assert events, plugins
    raw = b"".join((run / "tensorboard" / p).read_bytes() for p in plugins if p.startswith("events"))
    assert b"hparams" in raw and b"hp/best_chrf" in raw


def test_checkpoints_load_with_weights_only(trained):
    run, _ = trained
    for name in ("best.ckpt", "last.ckpt"):
        ckpt = torch.load(run / "checkpoints" / name, weights_only=True)
        assert ckpt["seq2seq"]["tokenizers"]["source"]["kind"] == "char"
        assert ckpt["seq2seq"]["config"]["model"]["cell"] == "lstm"


def test_evaluate_and_predict_from_another_directory(trained, tmp_path):
    run, _ = trained
    ckpt = run / "checkpoints" / "best.ckpt"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("seq2seq.evaluate", [f"ckpt_path={ckpt}", "decoding.beam_size=3"], elsewhere)
    assert result.returncode == 0, result.stderr
    assert "chrf" in result.stdout
    report = json.loads((run / "eval" / "test" / "metrics.json").read_text())
    assert report["metrics"]["examples"] == 20 and report["decoding"]["beam_size"] == 3
    assert set(report["signatures"]) == {"bleu", "bleu_1", "bleu_2", "chrf"}  # sacrebleu's, beside the scores
    assert {"bleu_1", "bleu_2"} <= set(report["metrics"])
    assert len((run / "eval" / "test" / "predictions.txt").read_text().splitlines()) == 20
    result = run_cli("seq2seq.predict", [f"ckpt_path={ckpt}", "decoding.beam_size=2"], elsewhere, stdin="abc\nhgfe\n")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    result = run_cli("seq2seq.predict", [f"ckpt_path={ckpt}", "decoding.beam_size=3", "decoding.n_best=2",
                                         "show_scores=true"], elsewhere, stdin="abc\n")
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("1\t") for line in lines)


def test_command_line_errors_are_one_line(tmp_path):
    result = run_cli("seq2seq.train", ["+model.celll=gru"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip().splitlines()[0]] and "did you mean 'cell'" in result.stderr
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    result = run_cli("seq2seq.predict", [f"ckpt_path={bad}"], tmp_path, stdin="x\n")
    assert result.returncode == 2 and "not a readable checkpoint" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_training_data_names_file_and_line(train_overrides, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\n" * 50 + "oops\n", encoding="utf-8")
    overrides = [o for o in train_overrides if not o.startswith("data.path")] + [f"data.path={bad}"]
    with pytest.raises(DataError, match=r"bad\.tsv:51: expected at least 2"):
        train(compose_cfg("train", overrides))


@pytest.mark.parametrize("tokenizer", ["char", "word", "sentencepiece"])
def test_checkpoint_alone_evaluates_for_every_tokenizer(tokenizer, tmp_path):
    corpus = tmp_path / "pairs.tsv"
    words = ["the cat", "a dog", "my friend", "the old man", "your sister"]
    verbs = [("sleeps", "dort"), ("eats", "mange"), ("runs", "court"), ("sings", "chante")]
    fr = {"the cat": "le chat", "a dog": "un chien", "my friend": "mon ami", "the old man": "le vieil homme",
          "your sister": "ta sœur"}
    lines = [f"{w.capitalize()} {v}.\t{fr[w].capitalize()} {f}." for w in words for v, f in verbs]
    corpus.write_text("\n".join(lines * 3) + "\n", encoding="utf-8")
    run = tmp_path / "run"
    overrides = [f"data.path={corpus}", "data.valid_size=6", "data.test_size=6", f"paths.output_dir={run}",
                 "paths.cache_dir=null", "debug=fast", "trainer.accelerator=cpu", "trainer.devices=1",
                 f"tokenizer={tokenizer}"]
    if tokenizer == "sentencepiece":
        overrides.append("tokenizer.vocab_size=40")
    train(compose_cfg("train", overrides))
    ckpt = tmp_path / "only.ckpt"
    (run / "checkpoints" / "best.ckpt").rename(ckpt)
    shutil.rmtree(run)
    result = run_cli("seq2seq.evaluate", [f"ckpt_path={ckpt}", "decoding.beam_size=2",
                                          f"output_dir={tmp_path / 'eval'}"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["metrics"]["examples"] == 6


def test_multirun_sweep_makes_one_run_per_job_and_runs_lists_them(tmp_path):
    corpus = tmp_path / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(80)), encoding="utf-8")
    result = run_cli("seq2seq.train", ["-m", "debug=fast", "model.cell=lstm,gru", f"data.path={corpus}",
                                       "data.valid_size=10", "data.test_size=10", f"paths.cache_dir={tmp_path / 'c'}",
                                       "hydra.sweep.dir=sweep"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "sweep").iterdir() if p.is_dir()) == ["0", "1"]
    table = run_cli("seq2seq.runs", ["sweep", "--csv"], tmp_path)
    assert "model.cell=gru" in table.stdout and "model.cell=lstm" in table.stdout and table.stdout.count("done") == 2
