"""Every config group option composes and validates; mistakes fail early with a clear message."""

from __future__ import annotations

import pytest
from conftest import CONF, compose_cfg

from seq2seq.errors import ConfigError
from seq2seq.train_config import validate_train_config

BASE = ["paths.output_dir=/tmp/seq2seq-test-run", "paths.cache_dir=null"]
GROUPS = ["task", "data", "tokenizer", "model", "optim", "scheduler", "decoding", "trainer", "logger",
          "callbacks", "debug", "experiment"]


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("group,option", [(g, o) for g in GROUPS for o in options(g)])
def test_every_group_option_composes_and_validates(group, option, tiny_corpus):
    cfg = compose_cfg("train", [*BASE, f"{group}={option}", f"data.path={tiny_corpus}"])
    plain = validate_train_config(cfg)
    assert plain["data"]["path"] == str(tiny_corpus)
    assert plain["task"]["monitor"].startswith("val/")


def test_task_picks_defaults_and_command_line_wins():
    cfg = validate_train_config(compose_cfg("train", BASE))
    assert cfg["task"]["name"] == "translation" and cfg["data"]["path"].endswith("data/eng-fra.tsv")
    assert cfg["model"]["cell"] == "lstm" and cfg["tokenizer"]["kind"] == "char"
    cfg = validate_train_config(compose_cfg("train", [*BASE, "model.cell=gru", "model.attention=bahdanau",
                                                      "data=tatoeba", "data.path=x.tsv"]))
    assert cfg["model"]["cell"] == "gru" and cfg["model"]["attention"] == "bahdanau"
    assert cfg["data"]["valid_size"] == 2000 and cfg["data"]["path"].endswith("/x.tsv")


def test_relative_data_path_is_made_absolute():
    cfg = validate_train_config(compose_cfg("train", [*BASE, "data.path=some/dir/file.tsv"]))
    assert cfg["data"]["path"].startswith("/") and cfg["data"]["path"].endswith("some/dir/file.tsv")


@pytest.mark.parametrize("override,message", [
    ("+model.celll=gru", r"unknown config key 'model\.celll' \(did you mean 'cell'\?\); allowed keys: .*hidden_size"),
    ("model.cell=grux", r"model\.cell.*expected one of \[rnn, lstm, gru\]"),
    ("model.hidden_size=big", r"model\.hidden_size.*could not be converted to Integer"),
    ("model.attention=luong", r"model\.attention.*expected one of \[none, bahdanau, dot, general, concat\]"),
    ("+seeed=3", r"unknown top-level config key 'seeed' \(did you mean 'seed'\?\)"),
    ("task.monitor=chrf", r"task\.monitor='chrf' must name a validation metric"),
    ("data=tatoeba", r"'data\.path' must be set"),
])
def test_config_mistakes_fail_with_a_clear_message(override, message):
    overrides = [o for o in BASE] + [override]
    with pytest.raises(ConfigError, match=message):
        validate_train_config(compose_cfg("train", overrides))


def test_dot_attention_needs_matching_sizes():
    with pytest.raises(ConfigError, match="attention=dot needs"):
        validate_train_config(compose_cfg("train", [*BASE, "model.attention=dot", "model.decoder_hidden_size=100"]))
