"""Chatbot: dialog readers, context windows, distinct-n, and the chat REPL driven through stdin."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import compose_cfg

from seq2seq.data.dialogs.reader import dialog_pairs, read_dialog_pairs, read_dialog_splits
from seq2seq.errors import DataError
from seq2seq.tasks.seq2seq.metrics import distinct_n, scorer_signatures, text_metrics
from seq2seq.train_config import validate_train_config

BASE = {"kind": "dialog", "format": "chatterbot", "context_turns": 1, "separator": " <sep> ", "normalize": "nfc",
        "lowercase": False, "on_error": "error", "limit": None, "valid_limit": None, "valid_path": None,
        "test_path": None, "valid_size": 1, "test_size": 1, "split_seed": 1}

YAML_OK = """categories:
- greetings
conversations:
- - Hello
  - Hi there
  - How are you?
- - What is AI?
  - Artificial   intelligence.
"""


def data(**kw) -> dict:
    return {**BASE, **kw}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- readers ------------------------------------------------------------------------------------------------
def test_chatterbot_yaml_pairs_are_consecutive_turns(tmp_path):
    path = write(tmp_path, "a.yml", YAML_OK)
    src, tgt = read_dialog_pairs(data(), str(path))
    assert list(zip(src, tgt)) == [("Hello", "Hi there"), ("Hi there", "How are you?"),
                                   ("What is AI?", "Artificial intelligence.")]
    # a directory reads every .yml in it
    write(tmp_path, "b.yml", "conversations:\n- - Bye\n  - See you\n")
    src, _ = read_dialog_pairs(data(), str(tmp_path))
    assert src[-1] == "Bye" and len(src) == 4


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "bad.yml", "conversations:\n- - Hello\n  - 'unclosed\n- - x\n")
    with pytest.raises(DataError, match=r"bad\.yml:\d+: malformed YAML"):
        read_dialog_pairs(data(), str(path))
    no_list = write(tmp_path, "nolist.yml", "categories: [x]\n")
    with pytest.raises(DataError, match=r"nolist\.yml:1: no 'conversations:' list"):
        read_dialog_pairs(data(), str(no_list))


def test_chatterbot_bad_entry_and_empty_turn_error_or_skip(tmp_path):
    text = "conversations:\n- - A\n  - B\n- just a string\n- - C\n  -\n  - D\n  - E\n"
    path = write(tmp_path, "c.yml", text)
    with pytest.raises(DataError, match=r"c\.yml:4: a conversation must be a list"):
        read_dialog_pairs(data(), str(path))
    path2 = write(tmp_path, "d.yml", "conversations:\n- - C\n  -\n  - D\n")
    with pytest.raises(DataError, match=r"d\.yml:3: empty turn"):
        read_dialog_pairs(data(), str(path2))
    # skip: the bad conversation is dropped, the empty turn splits its dialog (no pair spans it: no C→D)
    src, tgt = read_dialog_pairs(data(on_error="skip"), str(path))
    assert list(zip(src, tgt)) == [("A", "B"), ("D", "E")]


def test_dailydialog_reader_and_empty_turn(tmp_path):
    good = "Hi , Tom . __eou__ Hello ! __eou__ How are you ? __eou__\n\nFine . __eou__ Good . __eou__\n"
    path = write(tmp_path, "dd.txt", good)
    src, tgt = read_dialog_pairs(data(format="dailydialog"), str(path))
    assert list(zip(src, tgt)) == [("Hi , Tom .", "Hello !"), ("Hello !", "How are you ?"), ("Fine .", "Good .")]
    bad = write(tmp_path, "bad.txt", "A . __eou__ B . __eou__\nC . __eou__  __eou__ D . __eou__\n")
    with pytest.raises(DataError, match=r"bad\.txt:2: empty turn \(utterance 2\)"):
        read_dialog_pairs(data(format="dailydialog"), str(bad))
    nomark = write(tmp_path, "nomark.txt", "no marker here\n")
    with pytest.raises(DataError, match=r"nomark\.txt:1: no __eou__ marker"):
        read_dialog_pairs(data(format="dailydialog"), str(nomark))


def test_tsv_reader_errors_name_the_line(tmp_path):
    path = write(tmp_path, "d.tsv", "hi\thello\nhow are you?\tfine\n")
    assert read_dialog_pairs(data(format="tsv"), str(path)) == (["hi", "how are you?"], ["hello", "fine"])
    with pytest.raises(DataError, match=r"e\.tsv:2: empty turn \(response\)"):
        read_dialog_pairs(data(format="tsv"), str(write(tmp_path, "e.tsv", "a\tb\nc\t \n")))
    with pytest.raises(DataError, match=r"f\.tsv:1: expected context<TAB>response"):
        read_dialog_pairs(data(format="tsv"), str(write(tmp_path, "f.tsv", "no tab\n")))


def test_context_window_joins_the_last_k_turns():
    dialog = [["t1", "t2", "t3", "t4"]]
    assert dialog_pairs(dialog, 2, " <sep> ") == [("t1", "t2"), ("t1 <sep> t2", "t3"), ("t2 <sep> t3", "t4")]
    assert dialog_pairs(dialog, 9, "|")[-1] == ("t1|t2|t3", "t4")


def test_splits_explicit_files_and_limits(tmp_path):
    lines = "".join(f"a{i} . __eou__ b{i} . __eou__ c{i} . __eou__\n" for i in range(10))
    train, valid, test = (write(tmp_path, f"{n}.txt", lines) for n in ("train", "valid", "test"))
    splits = read_dialog_splits(data(format="dailydialog", path=str(train), valid_path=str(valid),
                                     test_path=str(test), limit=5, valid_limit=3))
    assert [len(splits[k][0]) for k in ("train", "valid", "test")] == [5, 3, 20]


def test_default_config_reads_the_installed_chatterbot_corpus(tmp_path):
    cfg = validate_train_config(compose_cfg("train", ["task=chatbot", f"paths.output_dir={tmp_path}",
                                                     f"paths.cache_dir={tmp_path}"]))
    assert cfg["data"]["kind"] == "dialog" and cfg["tokenizer"]["shared"] and cfg["task"]["monitor"] == "val/loss"
    splits = read_dialog_splits(cfg["data"])  # the package has one malformed entry (trivia.yml:35): skipped
    # 2,306 pairs, 1,176 distinct: copies of a valid/test pair stay out of training (tests/unit/data/test_splits.py)
    assert len(splits["train"][0]) > 1400 and len(set(zip(*splits["valid"]))) == len(splits["valid"][0]) >= 150


# -- metrics ------------------------------------------------------------------------------------------------
def test_distinct_n_by_hand():
    hyps = ["i am fine", "i am", "you are fine"]
    # unigrams: i am fine i am you are fine → 5 distinct of 8; bigrams: (i am)(am fine)(i am)(you are)(are fine)
    assert distinct_n(hyps, 1) == pytest.approx(5 / 8)
    assert distinct_n(hyps, 2) == pytest.approx(4 / 5)
    assert distinct_n(["a", "b"], 2) == 0.0
    m = text_metrics(hyps, hyps)
    assert m["avg_len"] == pytest.approx(8 / 3) and m["distinct_2"] == pytest.approx(0.8)
    assert text_metrics(["yes yes", "yes yes"], ["a", "b"])["distinct_1"] == pytest.approx(0.25)


def test_bleu_1_and_2_by_hand():
    # hypothesis "the cat sat on" vs reference "the cat is on the mat": unigram precision 3/4, bigram 1/3
    # ("the cat"), brevity penalty exp(1 - 6/4); BLEU-2 is the geometric mean of the two precisions.
    m = text_metrics(["the cat sat on"], ["the cat is on the mat"])
    brevity = math.exp(1 - 6 / 4)
    assert m["bleu_1"] == pytest.approx(100 * brevity * 3 / 4)
    assert m["bleu_2"] == pytest.approx(100 * brevity * math.sqrt(3 / 4 * 1 / 3))
    signatures = scorer_signatures()
    assert signatures["bleu_2"].endswith("|ngram:2") and "tok:13a" in signatures["bleu"]
    assert signatures["chrf"].startswith("nrefs:1|") and "nc:6" in signatures["chrf"]


# -- end to end: train, then chat through a pipe ------------------------------------------------------------
@pytest.fixture(scope="module")
def chatbot_ckpt(tmp_path_factory) -> Path:
    from seq2seq.train import train

    tmp = tmp_path_factory.mktemp("chatbot")
    dialogs = "".join(f"hello {i} . __eou__ hi {i} . __eou__ how are you ? __eou__ fine {i} . __eou__\n"
                      for i in range(40))
    corpus = write(tmp, "dialogs.txt", dialogs)
    overrides = ["task=chatbot", "data=dailydialog", f"data.path={corpus}", "data.valid_path=null",
                 "data.test_path=null", "data.valid_size=10", "data.test_size=10", "data.batch_size=16",
                 "tokenizer.vocab_size=60", f"paths.output_dir={tmp / 'run'}", f"paths.cache_dir={tmp / 'cache'}",
                 "debug=fast", "trainer.accelerator=cpu", "trainer.devices=1"]
    metrics = train(compose_cfg("train", overrides))
    for key in ("test/loss", "test/ppl", "test/bleu", "test/bleu_1", "test/bleu_2", "test/distinct_1",
                "test/distinct_2", "test/avg_len"):
        assert key in metrics, key
    written = json.loads((tmp / "run" / "metrics.json").read_text())
    assert written["signatures"] == scorer_signatures()  # which scorer produced the test scores
    return tmp / "run" / "checkpoints" / "best.ckpt"


def run_chat(ckpt: Path, cwd: Path, stdin: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([sys.executable, "-m", "seq2seq.chat", f"ckpt_path={ckpt}", "decoding.beam_size=2", *args],
                          check=False, cwd=cwd, input=stdin, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow
def test_chat_answers_each_line_and_reset_clears_the_context(chatbot_ckpt, tmp_path):
    script = "hello 3 .\nhow are you ?\n/context\n/reset\nhi there\n/context\n/set temperature 0.7\n/set bogus 1\n/quit\nnever\n"
    out = run_chat(chatbot_ckpt, tmp_path, script)
    assert out.returncode == 0, out.stderr
    replies = out.stdout.splitlines()
    assert len(replies) == 3, out.stdout  # one per user line (a few-step model may say ""); none after /quit
    contexts = [line[len("context: "):] for line in out.stderr.splitlines() if line.startswith("context: ")]
    # training used context_turns=2: the 2nd turn sees the bot's 1st reply and the new user turn
    assert contexts[0] == f"{replies[0]} <sep> how are you ?"
    assert contexts[1] == "hi there"  # after /reset only the new turn
    assert "(set temperature=0.7)" in out.stderr and "unknown decoding key 'bogus'" in out.stderr
    assert "you>" not in out.stdout  # no prompt when stdin is a pipe


@pytest.mark.slow
def test_chat_show_context_and_sampling(chatbot_ckpt, tmp_path):
    out = run_chat(chatbot_ckpt, tmp_path, "hello 1 .\n\nhow are you ?\n", "decoding=sample", "decoding.seed=0",
                   "show_context=true", "context_turns=1")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 3 and out.stdout.splitlines()[1] == ""  # blank line → blank reply
    assert "context: how are you ?" in out.stderr.splitlines()


@pytest.mark.slow
def test_default_chatbot_trains_offline(tmp_path):
    from seq2seq.train import train

    overrides = ["task=chatbot", f"paths.output_dir={tmp_path / 'run'}", f"paths.cache_dir={tmp_path / 'cache'}",
                 "debug=fast", "trainer.accelerator=cpu", "trainer.devices=1"]
    metrics = train(compose_cfg("train", overrides))
    assert metrics["monitor"] == "val/loss" and metrics["test/ppl"] > 1
    assert (tmp_path / "run" / "tokenizer_source.model").is_file()
