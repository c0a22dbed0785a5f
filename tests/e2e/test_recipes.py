"""The result recipes of README "Results" compose and train a few steps on the real corpora
(skipped where ../shared/data is absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED_DATA, compose_cfg

from seq2seq.train import train

pytestmark = pytest.mark.slow
FRA = SHARED_DATA / "translation" / "eng-fra" / "fra.txt"
ETTH1 = SHARED_DATA / "timeseries" / "ETTh1.csv"
ALICE = SHARED_DATA / "text" / "alice" / "11-0.txt"
SHAKESPEARE = SHARED_DATA / "text" / "tinyshakespeare" / "input.txt"
DAILYDIALOG = SHARED_DATA / "dialog" / "dailydialog" / "test" / "dialogues_test.txt"
SST2 = SHARED_DATA / "sentiment" / "sst2" / "train.tsv"
CONLL = SHARED_DATA / "ner" / "conll2003" / "eng.train"
FAST = ["debug=fast", "trainer.accelerator=cpu", "trainer.devices=1", "logger.samples=0"]


def needs(path: Path):
    return pytest.mark.skipif(not path.is_file(), reason=f"{path} is absent")


@needs(FRA)
def test_translation_recipe_is_the_reference_model_and_trains(tmp_path: Path):
    overrides = ["experiment=translation_tatoeba", f"data.path={FRA}", "data.limit=600", "data.valid_size=20",
                 "data.test_size=20", *FAST, f"paths.output_dir={tmp_path / 'run'}",
                 f"paths.cache_dir={tmp_path / 'cache'}"]
    cfg = compose_cfg("train", overrides)
    model = cfg.model
    assert (model.embedding_dim, model.hidden_size, model.encoder_layers, model.decoder_layers) == (128, 256, 2, 2)
    assert (model.attention, model.bidirectional, cfg.data.batch_size, cfg.optim.lr) == ("general", True, 64, 0.001)
    assert cfg.trainer.max_time == "00:00:25:00" and cfg.trainer.gradient_clip_val == 1.0
    metrics = train(cfg)
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["global_step"] == 5  # debug=fast: five training batches
    assert 0.0 <= metrics["test/chrf"] <= 100.0


@needs(ETTH1)
def test_forecast_recipe_scores_every_test_window_in_z_units(tmp_path: Path):
    """The naive baseline computed here by hand over ALL 2,785 test windows (96-row horizon, 2,880 test rows)
    matches the run's test/mse_z_naive: no window is dropped at a batch end."""
    horizon = 96
    overrides = ["experiment=forecast_etth1_h96", f"data.path={ETTH1}", *FAST,
                 "trainer.limit_test_batches=null", f"paths.output_dir={tmp_path / 'run'}",
                 f"paths.cache_dir={tmp_path / 'cache'}"]
    cfg = compose_cfg("train", overrides)
    assert (cfg.data.horizon, cfg.data.window, cfg.data.features, cfg.data.train_size) == (horizon, 96, ["OT"], 8640)
    metrics = train(cfg)
    with open(ETTH1, encoding="utf-8") as fh:
        ot = np.array([float(row["OT"]) for row in csv.DictReader(fh)])
    std = ot[:8640].std()
    window, test_start, test_end = 96, 8640 + 2880, 8640 + 2 * 2880
    starts = np.arange(test_start - window, test_end - window - horizon + 1)
    assert len(starts) == 2880 - horizon + 1
    truth = ot[starts[:, None] + window + np.arange(horizon)]
    last = ot[starts + window - 1][:, None]
    assert metrics["test/mse_z_naive"] == pytest.approx((((truth - last) / std) ** 2).mean(), rel=1e-4)
    assert metrics["test/mae_z_naive"] == pytest.approx(np.abs(truth - last).mean() / std, rel=1e-4)
    assert metrics["test/mae_z"] == pytest.approx(metrics["test/mae"] / std, rel=1e-4)


def run_paths(tmp_path: Path) -> list[str]:
    return [f"paths.output_dir={tmp_path / 'run'}", f"paths.cache_dir={tmp_path / 'cache'}"]


@needs(SHAKESPEARE)
def test_shakespeare_recipe_is_nanogpts_split_and_trains_without_a_test_part(tmp_path: Path):
    """nanoGPT's shakespeare_char: the first 90% of the raw file trains, the last 10% validates, nothing else."""
    from seq2seq.data.text.preparation import read_text_splits
    from seq2seq.train_config import validate_train_config

    cfg = compose_cfg("train", ["experiment=lm_shakespeare", *FAST, *run_paths(tmp_path)])
    assert (cfg.model.hidden_size, cfg.model.num_layers, cfg.data.bptt, cfg.trainer.max_time) == (512, 2, 128, "00:00:45:00")
    parts = read_text_splits(validate_train_config(cfg)["data"])
    raw = SHAKESPEARE.read_text(encoding="utf-8")
    assert parts["train"] + parts["valid"] == raw and not parts.get("test")  # byte for byte, nothing dropped
    assert abs(len(parts["train"]) - int(0.9 * len(raw))) < 100  # nanoGPT cuts at int(0.9 n); ours at a line start
    metrics = train(cfg)
    assert metrics["best_model_path"] and not any(k.startswith("test/") for k in metrics)


@needs(ALICE)
def test_alice_recipe_trains(tmp_path: Path):
    cfg = compose_cfg("train", ["experiment=lm_alice", *FAST, *run_paths(tmp_path)])
    assert (cfg.model.cell, cfg.model.num_layers, cfg.data.valid_size, cfg.data.test_size) == ("lstm", 2, 0.05, 0.05)
    metrics = train(cfg)
    assert 0 < metrics["test/bpc"] < 8


@needs(DAILYDIALOG)
def test_dailydialog_recipe_uses_the_official_splits_and_reports_bleu_1_2(tmp_path: Path):
    cfg = compose_cfg("train", ["experiment=chatbot_dailydialog", *FAST, "trainer.limit_test_batches=2", "data.limit=3000", "data.eval_batch_size=16",
                                *run_paths(tmp_path)])
    assert cfg.data.test_path.endswith("dialogues_test.txt") and cfg.trainer.max_time == "00:00:45:00"
    metrics = train(cfg)
    assert {"test/bleu_1", "test/bleu_2", "test/distinct_2", "test/ppl"} <= set(metrics)
    assert metrics["signatures"]["bleu_2"].endswith("|ngram:2")


@needs(SST2)
def test_sst2_recipe_trains(tmp_path: Path):
    cfg = compose_cfg("train", ["experiment=classify_sst2", *FAST, *run_paths(tmp_path)])
    assert cfg.model.bidirectional and cfg.model.pooling == "max"
    assert 0.0 <= train(cfg)["test/accuracy"] <= 100.0  # percent


@needs(CONLL)
def test_conll_recipe_trains(tmp_path: Path):
    cfg = compose_cfg("train", ["experiment=ner_conll2003", *FAST, *run_paths(tmp_path)])
    assert (cfg.model.output, cfg.model.char_encoder) == ("crf", "cnn")
    assert 0.0 <= train(cfg)["test/f1"] <= 100.0  # percent


@needs(ETTH1)
def test_forecast_etth1_recipe_trains(tmp_path: Path):
    cfg = compose_cfg("train", ["experiment=forecast_etth1", f"data.path={ETTH1}", *FAST, *run_paths(tmp_path)])
    assert cfg.model.loss == "mae" and list(cfg.data.features) == ["OT"]
    assert train(cfg)["test/mae"] > 0
