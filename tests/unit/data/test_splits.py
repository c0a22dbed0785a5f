"""Leak-free seeded splits: no example (after the reader's normalisation) in two splits, dialogs cut by dialog,
every repeat and regrouping counted in the log, explicit split files' overlap with training counted, and the
streaming preparation drawing the same split as the in-memory path."""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import compose_cfg

from seq2seq.data.conll import datamodule as tagging
from seq2seq.data.dialogs import reader as dialogs
from seq2seq.data.labeled import preparation as labeled_prepare
from seq2seq.data.normalize import normalize_text
from seq2seq.data.pairs import preparation as prepare
from seq2seq.data.pairs.prepared_dir import open_prepared
from seq2seq.data.split import Grouping, key_hashes, split_labels
from seq2seq.errors import DataError
from seq2seq.prepare import prepare as prepare_cli
from seq2seq.train_config import validate_train_config

SPLITS = ("train", "valid", "test")


def train_cfg(tmp_path: Path, task: str, overrides: list[str]) -> dict:
    cfg = compose_cfg("train", [f"task={task}", f"paths.output_dir={tmp_path / 'run'}", "paths.cache_dir=null",
                                *overrides])
    return validate_train_config(cfg)


def data_cfg(tmp_path: Path, task: str, overrides: list[str]) -> dict:
    return train_cfg(tmp_path, task, overrides)["data"]


def assert_disjoint(splits: dict, key) -> None:
    """No key occurs in two splits."""
    seen = {name: {key(item) for item in items} for name, items in splits.items()}
    for a, b in (("train", "valid"), ("train", "test"), ("valid", "test")):
        assert not seen[a] & seen[b], (a, b, sorted(seen[a] & seen[b])[:3])


def rows(split: tuple[list[str], list[str]]) -> list[tuple[str, str]]:
    return list(zip(*split))


def split_line(caplog) -> str:
    lines = [r.getMessage() for r in caplog.records if "seeded split of" in r.getMessage()]
    assert len(lines) == 1, lines
    return lines[0]


# -- the grouped split itself ----------------------------------------------------------------------------------
def test_without_repeats_the_split_is_the_plain_seeded_shuffle():
    keys = key_hashes([f"s{i}" for i in range(500)])
    grouped = split_labels(500, 0.1, 37, seed=5, grouping=Grouping.from_hashes(keys, keys))
    assert np.array_equal(grouped, split_labels(500, 0.1, 37, seed=5))
    assert np.bincount(grouped).tolist() == [413, 50, 37]


def test_a_split_never_cuts_a_group_and_counts_distinct_examples():
    groups = np.repeat(np.arange(50), 4)  # 50 groups of 4 rows: 2 distinct examples, each twice
    example = groups * 2 + np.tile([0, 0, 1, 1], 50)
    grouping = Grouping.from_hashes(groups, example)
    labels = split_labels(200, 10, 10, seed=1, grouping=grouping)
    for g in range(50):
        kept = set(labels[groups == g].tolist()) - {3}
        assert len(kept) == 1  # one split per group (3: a repeated copy left out of valid/test)
    assert (labels == 1).sum() == 10 and (labels == 2).sum() == 10 and (labels == 0).sum() == 160
    assert (labels == 3).sum() == 20  # 5 + 5 valid/test groups, one repeated copy of each of their 2 examples


def test_groups_too_big_to_leave_training_data_stop_with_the_fix():
    groups = np.repeat([0, 1], 3)
    with pytest.raises(DataError, match="leaving no training data; lower data.valid_size / data.test_size"):
        split_labels(6, 1, 1, seed=0, grouping=Grouping.from_hashes(groups, np.arange(6)))


# -- translation: grouped by normalised source, in memory and streamed ------------------------------------------
def repeated_corpus(path: Path, n_sources: int = 120, seed: int = 0) -> Path:
    """Sources with 1-4 translations each, many exact repeats, and white-space/Unicode variants that the
    reader normalises to the same text ("cafe\\u0301" is "café" after NFC)."""
    rng = random.Random(seed)
    lines = []
    for i in range(n_sources):
        source = f"sentence {i} caf\u00e9" if i % 7 else f"sentence  {i}   cafe\u0301"
        for j in range(rng.randint(1, 4)):
            lines += [f"{source}\tphrase {i}.{j}\n"] * rng.choice([1, 1, 2, 5])
    lines += [f"sentence {i} caf\u00e9 \tphrase {i}.0\n" for i in range(0, n_sources, 3)]  # trailing space
    rng.shuffle(lines)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_translation_split_keeps_each_source_in_one_split(tmp_path, caplog):
    corpus = repeated_corpus(tmp_path / "rep.tsv")
    data = data_cfg(tmp_path, "translation", [f"data.path={corpus}", "data.valid_size=15", "data.test_size=0.1"])
    with caplog.at_level(logging.INFO):
        splits = prepare.read_raw_splits(data)
    src, tgt, _ = prepare.read_parallel_tsv(corpus)
    assert_disjoint({k: v[0] for k, v in splits.items()}, lambda s: normalize_text(s))
    for name in ("valid", "test"):
        assert len(set(rows(splits[name]))) == len(splits[name][0])  # each distinct pair once
    assert set(rows(splits["train"])) | set(rows(splits["valid"])) | set(rows(splits["test"])) == set(zip(src, tgt))
    kept = sum(len(v[0]) for v in splits.values())
    line = split_line(caplog)
    groups = len(set(src))
    repeats = len(src) - len(set(zip(src, tgt)))
    assert f"seeded split of {len(src):,} pairs in {groups:,} groups of one source sentence" in line
    assert f"; {len(src) - groups:,} pairs go with an earlier one's group; {repeats:,} pairs are exact" in line
    assert f"{len(src) - kept:,} of them left out of valid/test" in line
    assert re.search(rf"train {len(splits['train'][0]):,} / valid {len(splits['valid'][0])} / test", line)


def test_streaming_prepare_draws_the_same_grouped_split(tmp_path):
    corpus = repeated_corpus(tmp_path / "rep.tsv", seed=3)
    overrides = [f"data.path={corpus}", "data.valid_size=20", "data.test_size=20", "data.limit=400",
                 f"data.prepared={tmp_path / 'prep'}"]
    manifest = prepare_cli(compose_cfg("prepare", [*overrides, "prepare.chunk_pairs=50"]))
    cfg = train_cfg(tmp_path, "translation", overrides)
    mapped = open_prepared(cfg["data"], cfg["tokenizer"])
    in_memory = prepare.prepare_pairs({**cfg["data"], "prepared": None}, cfg["tokenizer"], None)
    for name in SPLITS:
        a, b = in_memory.splits[name], mapped.splits[name]
        assert len(a) == len(b) == manifest["counts"][name]["pairs"]
        assert np.array_equal(a.src.ids, b.src.ids) and np.array_equal(a.tgt.ids, b.tgt.ids), name
        if name != "train":
            assert (a.src_text, a.tgt_text) == (b.src_text, b.tgt_text)


def test_explicit_split_files_overlapping_training_are_counted_and_kept(tmp_path, caplog):
    train = tmp_path / "train.tsv"
    train.write_text("".join(f"s{i}\tt{i}\n" for i in range(50)), encoding="utf-8")
    (tmp_path / "valid.tsv").write_text("s1\tother\ns2\tt2\nnew\tx\n", encoding="utf-8")
    (tmp_path / "test.tsv").write_text("n1\ta\nn2\tb\n", encoding="utf-8")
    data = data_cfg(tmp_path, "translation", [f"data.path={train}", f"data.valid_path={tmp_path / 'valid.tsv'}",
                                              f"data.test_path={tmp_path / 'test.tsv'}"])
    with caplog.at_level(logging.INFO):
        splits = prepare.read_raw_splits(data)
    assert [len(splits[k][0]) for k in SPLITS] == [50, 3, 2]  # used as given
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "valid" in warnings[0] and "2 of 3 pairs (66.7%) have a source sentence" in warnings[0]


# -- dialogs: cut by dialog, dialogs sharing a pair kept together -------------------------------------------------
def chatterbot_dir(tmp_path: Path) -> Path:
    """Conversation i is q{i} / a{i} / b{i}; every 5th is repeated 3 times; every 7th shares its first pair
    with conversation 0 (as tech_support.yml repeats the same exchange)."""
    convs = []
    for i in range(60):
        turns = [f"q{i} ?", f"a{i} .", f"b{i} !"] if i % 7 else ["q0 ?", "a0 .", f"b{i} !"]
        convs += [turns] * (3 if i % 5 == 0 else 1)
    random.Random(2).shuffle(convs)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for part in range(2):  # two files: dialog numbers continue over them
        body = "".join("- - " + "\n  - ".join(c) + "\n" for c in convs[part::2])
        (folder / f"f{part}.yml").write_text(f"categories:\n- test\nconversations:\n{body}", encoding="utf-8")
    return folder


def test_dialog_split_is_cut_by_dialog_and_shared_pairs_stay_together(tmp_path, caplog):
    data = data_cfg(tmp_path, "chatbot", [f"data.path={chatterbot_dir(tmp_path)}", "data.valid_size=12",
                                          "data.test_size=12"])
    with caplog.at_level(logging.INFO):
        splits = dialogs.read_dialog_splits(data)
    assert_disjoint({k: rows(v) for k, v in splits.items()}, lambda pair: pair)
    # A dialog's number is in all its turns but the shared "q0 ? / a0 ." pair: no number in two splits.
    assert_disjoint({k: rows(v) for k, v in splits.items()}, lambda pair: pair[1].split()[0][1:])
    zero = {name for name, split in splits.items() if ("q0 ?", "a0 .") in rows(split)}
    linked = {name for name, split in splits.items() for c, r in rows(split) if c == "a0 ." or r == "a0 ."}
    assert len(zero) == 1 and linked == zero  # conversations 0, 7, 14 ... share it: one group
    for name in ("valid", "test"):
        assert len(set(rows(splits[name]))) == len(splits[name][0]) >= 12
    line = split_line(caplog)
    assert "seeded split of 168 pairs in" in line and "(84 dialogs; those sharing a pair are one group)" in line


def test_dialog_tsv_lines_are_grouped_by_pair(tmp_path):
    lines = [f"c{i % 40}\tr{i % 40}\n" for i in range(120)] + [f"c{i}\tother{i}\n" for i in range(10)]
    (tmp_path / "d.tsv").write_text("".join(lines), encoding="utf-8")
    data = data_cfg(tmp_path, "chatbot", ["data.format=tsv", f"data.path={tmp_path / 'd.tsv'}",
                                          "data.valid_size=8", "data.test_size=8"])
    splits = dialogs.read_dialog_splits(data)
    assert_disjoint({k: rows(v) for k, v in splits.items()}, lambda pair: pair)
    assert [len(set(rows(splits[k]))) for k in ("valid", "test")] == [len(splits["valid"][0]), len(splits["test"][0])]


def test_dialog_explicit_files_overlap_is_counted(tmp_path, caplog):
    lines = [f"a{i} . __eou__ b{i} . __eou__ c{i} . __eou__\n" for i in range(10)]
    for name, part in (("train", lines), ("valid", lines[:4] + ["x . __eou__ y . __eou__\n"]), ("test", lines[9:])):
        (tmp_path / f"{name}.txt").write_text("".join(part), encoding="utf-8")
    data = data_cfg(tmp_path, "chatbot", ["data.format=dailydialog", f"data.path={tmp_path / 'train.txt'}",
                                          f"data.valid_path={tmp_path / 'valid.txt'}",
                                          f"data.test_path={tmp_path / 'test.txt'}"])
    with caplog.at_level(logging.INFO):
        splits = dialogs.read_dialog_splits(data)
    assert [len(splits[k][0]) for k in SPLITS] == [20, 9, 2]
    warnings = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "8 of 9 pairs (88.9%)" in warnings[1] and "2 of 2 pairs (100.0%)" in warnings[0]


# -- classification: grouped by normalised text, stratified by group ------------------------------------------
@pytest.mark.parametrize("stratify", [True, False])
def test_classification_split_keeps_each_text_in_one_split(tmp_path, caplog, stratify):
    rng = random.Random(1)
    texts = [(f"review {i} was  {'good' if i % 3 else 'bad'}", "pos" if i % 3 else "neg") for i in range(150)]
    lines = [f"{t}\t{label}\n" for t, label in texts for _ in range(rng.choice([1, 1, 3]))]
    lines += [f"{texts[i][0]}\t{'neg' if texts[i][1] == 'pos' else 'pos'}\n" for i in range(0, 150, 10)]
    rng.shuffle(lines)
    (tmp_path / "l.tsv").write_text("text\tlabel\n" + "".join(lines), encoding="utf-8")
    data = data_cfg(tmp_path, "classify", [f"data.path={tmp_path / 'l.tsv'}", "data.valid_size=20",
                                           "data.test_size=0.1", f"data.stratify={stratify}"])
    with caplog.at_level(logging.INFO):
        splits = labeled_prepare.read_raw_splits(data)
    assert_disjoint({k: v.texts for k, v in splits.items()}, lambda t: t)
    for name in ("valid", "test"):
        assert len(set(zip(splits[name].texts, splits[name].labels))) == len(splits[name])
    if stratify:  # neg is a third of the groups: about a third of valid/test
        assert all(0.2 < splits[k].labels.count("neg") / len(splits[k]) < 0.45 for k in ("valid", "test"))
    assert "groups of one text" in split_line(caplog)


def test_classification_explicit_file_overlap_is_counted(tmp_path, caplog):
    (tmp_path / "t.tsv").write_text("text\tlabel\n" + "".join(f"t{i}\t{i % 2}\n" for i in range(40)), "utf-8")
    (tmp_path / "v.tsv").write_text("text\tlabel\n" + "".join(f"t{i}\t0\n" for i in range(10)) + "fresh\t1\n", "utf-8")
    data = data_cfg(tmp_path, "classify", [f"data.path={tmp_path / 't.tsv'}", f"data.valid_path={tmp_path / 'v.tsv'}",
                                           "data.test_size=6"])
    with caplog.at_level(logging.INFO):
        splits = labeled_prepare.read_raw_splits(data)
    assert [len(splits[k]) for k in SPLITS] == [34, 11, 6]
    overlap = len(set(splits["valid"].texts) & set(splits["train"].texts))  # the test cut may hold some t<i>
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert overlap >= 4 and len(warnings) == 1 and f"{overlap} of 11 examples" in warnings[0]


# -- NER: grouped by token sequence ----------------------------------------------------------------------------
def test_ner_split_keeps_each_sentence_in_one_split(tmp_path, caplog):
    rng = random.Random(4)
    blocks = []
    for i in range(80):
        blocks += [f"Visit O\nName{i} {'B-PER' if i % 2 else 'B-LOC'}\n"] * rng.choice([1, 2, 4])
        if i % 9 == 0:
            blocks.append(f"Visit O\nName{i} B-ORG\n")  # the same tokens, other tags
    rng.shuffle(blocks)
    (tmp_path / "n.conll").write_text("\n".join(blocks), encoding="utf-8")
    data = data_cfg(tmp_path, "ner", [f"data.path={tmp_path / 'n.conll'}", "data.valid_size=10", "data.test_size=10"])
    with caplog.at_level(logging.INFO):
        splits = tagging.read_raw_splits(data)
    assert_disjoint(splits, lambda s: tuple(s.tokens))
    for name in ("valid", "test"):
        assert len({(tuple(s.tokens), tuple(s.tags)) for s in splits[name]}) == len(splits[name]) >= 10
    assert "groups of one token sequence" in split_line(caplog)
