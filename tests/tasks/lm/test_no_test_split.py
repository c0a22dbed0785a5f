"""``data.test_size=0`` for the language model: train and valid only (nanoGPT's shakespeare_char split), a
training run that skips its test, and evaluate's default split refused in one line."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import LM_TEXT as TEXT
from conftest import compose_cfg, lm_overrides, run_cli

from seq2seq.data.text.preparation import prepare_text, split_text
from seq2seq.errors import ConfigError
from seq2seq.train_config import validate_train_config

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


@pytest.mark.parametrize(("valid_size", "asked"), [(0.1, 560), (540, 540)])
def test_no_test_split_leaves_train_then_valid_to_the_end_from_a_line_start(valid_size, asked):
    text = "".join(f"line number {i:03d} of the text\n" for i in range(200))  # 28 characters a line
    parts = split_text(text, valid_size, 0)
    assert set(parts) == {"train", "valid"}
    assert parts["train"] + parts["valid"] == text
    assert parts["train"].endswith("\n") and parts["valid"].startswith("line number")
    assert asked - 28 < len(parts["valid"]) <= asked  # the cut moved forward to the next line start
    with pytest.raises(ConfigError, match=r"^data\.test_size=-1 must be >= 0"):
        split_text(text, 0.1, -1)


def test_no_test_split_snaps_the_cut_inside_a_line_forward():
    text = "alpha beta\ngamma delta\nepsilon zeta\n"
    parts = split_text(text, 0.5, 0)  # 0.5 of 36 = 18 characters from the end: inside "gamma delta"
    assert parts == {"train": "alpha beta\ngamma delta\n", "valid": "epsilon zeta\n"}


def test_the_cache_keeps_runs_with_and_without_a_test_split_apart(tmp_path):
    corpus = tmp_path / "alice.txt"
    corpus.write_text(TEXT * 4, encoding="utf-8")
    cfg = validate_train_config(compose_cfg("train", lm_overrides(tmp_path, corpus)))
    data, tok, cache = cfg["data"], cfg["tokenizer"], str(tmp_path / "cache")
    with_test = prepare_text({**data, "test_size": 0.1}, tok, cache)
    without = prepare_text({**data, "test_size": 0}, tok, cache)  # a stale entry would bring its test back
    assert "test" in with_test.splits and "test" not in without.splits
    assert with_test.splits["test"].text.endswith(without.splits["valid"].text)  # both end the text


def test_negative_test_size_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"data\.test_size") as err:
        validate_train_config(compose_cfg("train", lm_overrides(tmp_path, tmp_path / "x.txt",
                                                                "data.test_size=-1")))
    assert "\n" not in str(err.value)
    cfg = validate_train_config(compose_cfg("train", lm_overrides(tmp_path, tmp_path / "x.txt", "data.test_size=0")))
    assert cfg["data"]["test_size"] == 0


@pytest.mark.slow
def test_training_without_a_test_split_skips_the_test_and_evaluate_asks_for_valid(tmp_path, caplog):
    from seq2seq.train import train

    corpus = tmp_path / "alice.txt"
    corpus.write_text(TEXT * 12, encoding="utf-8")
    caplog.set_level(logging.INFO)
    metrics = train(compose_cfg("train", lm_overrides(tmp_path, corpus, "data.test_size=0", "debug=fast")))
    run = tmp_path / "run"
    assert (run / "checkpoints" / "best.ckpt").is_file()
    assert "no test split (data.test_size=0): skipping the test after training" in caplog.text
    written = json.loads((run / "metrics.json").read_text())
    assert written["objective"] is not None and written["monitor"] == "val/bpc" and "wall_time_s" in written
    assert not [k for k in written if k.startswith("test/")] and "signatures" not in written
    assert written["best_model_path"] == metrics["best_model_path"]

    ckpt = f"ckpt_path={run / 'checkpoints' / 'best.ckpt'}"
    refused = run_cli("seq2seq.evaluate", [ckpt, f"output_dir={tmp_path / 'eval'}"], tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == ("error: this run has no test split (data.test_size=0); "
                                                       "use split=valid or input=<file>")
    valid = run_cli("seq2seq.evaluate", [ckpt, "split=valid", f"output_dir={tmp_path / 'valid'}"], tmp_path)
    assert valid.returncode == 0, valid.stderr
    report = json.loads((tmp_path / "valid" / "metrics.json").read_text())["metrics"]
    assert 0 < report["bpc"] < 8 and report["characters"] > 0
