"""Bad input files, damaged checkpoints and prepared data: every one stops with one line that names the file
(and the line where there is one) and the fix, never a traceback, and leaves nothing a later command would
trust. In-process where the CLI is not what is tested; a few subprocesses check exit code 2, exactly one
``error:`` line on stderr and no "Traceback"."""

from __future__ import annotations

import copy
import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import compose_cfg, make_reversal_pairs

from seq2seq.checkpoint import load_task
from seq2seq.cli import one_line_errors
from seq2seq.data.conll.reader import read_conll
from seq2seq.data.dialogs.reader import dialog_report, read_chatterbot, read_dailydialog, read_dialog_tsv
from seq2seq.data.labeled.reader import read_labeled
from seq2seq.data.pairs.reader import read_parallel_tsv
from seq2seq.data.series.reader import read_series_file
from seq2seq.data.text.preparation import load_text
from seq2seq.errors import CheckpointError, DataError, Seq2SeqError
from seq2seq.predict import read_lines

LABELED = {"format": "tsv", "delimiter": None, "header": True, "text_col": "text", "label_col": "label",
           "label_map": {}, "normalize": "nfc", "lowercase": False, "on_error": "error"}
LM_TEXT = {"on_error": "error", "normalize": "nfc", "lowercase": False, "whitespace": "fold"}

# name → (file suffix, a good file's text, a function reading a path)
READERS = {
    "parallel": (".tsv", "Go.\tVa !\nHi.\tSalut.\n", lambda p: read_parallel_tsv(p)),
    "conll": (".conll", "John B-PER\nsaid O\n\nParis B-LOC\n", lambda p: read_conll(p)),
    "labeled": (".tsv", "text\tlabel\ngood film\tpos\nbad film\tneg\n", lambda p: read_labeled(LABELED, p)),
    "labeled_csv": (".csv", "text,label\ngood film,pos\nbad film,neg\n",
                    lambda p: read_labeled({**LABELED, "format": "csv"}, p)),
    "series": (".csv", "time,load\n0,1.5\n1,2.5\n", lambda p: read_series_file(p, None, "time")),
    "dailydialog": (".txt", "Hi . __eou__ Hello . __eou__\n", lambda p: read_dailydialog(Path(p), dialog_report(str(p)), "error")),
    "dialog_tsv": (".tsv", "Hi .\tHello .\n", lambda p: read_dialog_tsv(Path(p), dialog_report(str(p)), "error")),
    "chatterbot": (".yml", "conversations:\n- - Hi\n  - Hello\n", lambda p: read_chatterbot(Path(p), dialog_report(str(p)), "error")),
    "lm_text": (".txt", "Alice was here.\nShe left.\n", lambda p: load_text(LM_TEXT, p)),
    "predict_input": (".txt", "one\ntwo\n", lambda p: read_lines(str(p))),
}


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def one_line(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text and text, text
    return text


# -- every reader: the same rules for what a text file is ------------------------------------------------
@pytest.mark.parametrize("reader", READERS)
def test_latin1_names_file_line_byte_offset_and_iconv(reader, tmp_path):
    suffix, good, read = READERS[reader]
    lines = good.encode("utf-8").split(b"\n")
    lines[1] = lines[1] + " caf\u00e9".encode("latin-1")  # the second line gets a Latin-1 byte
    path = write(tmp_path / f"bad{suffix}", b"\n".join(lines))
    offset = len(lines[0]) + 1 + len(lines[1]) - 1
    with pytest.raises(DataError) as err:
        read(path)
    assert one_line(err.value).startswith(f"{path}:2: not valid UTF-8 (byte 0xe9 at byte offset {offset})")
    assert "iconv -f latin1 -t utf-8" in str(err.value)


@pytest.mark.parametrize("reader", READERS)
def test_nul_bytes_are_refused_with_file_and_line(reader, tmp_path):
    suffix, good, read = READERS[reader]
    lines = good.split("\n")
    lines[1] = lines[1][:2] + "\x00" + lines[1][2:]
    path = write(tmp_path / f"nul{suffix}", "\n".join(lines).encode("utf-8"))
    with pytest.raises(DataError, match=rf"^{path}:2: NUL byte .*iconv -f utf-16"):
        read(path)


@pytest.mark.parametrize("reader", READERS)
def test_a_directory_or_a_missing_file_is_one_line(reader, tmp_path):
    read = READERS[reader][2]
    with pytest.raises(DataError, match=rf"^{tmp_path}: a directory, not a file; "):
        read(tmp_path)
    with pytest.raises(DataError, match=rf"^{tmp_path / 'nope.txt'}: no such file; "):
        read(tmp_path / "nope.txt")


@pytest.mark.parametrize("reader", READERS)
def test_bom_and_crlf_read_like_a_plain_file(reader, tmp_path):
    suffix, good, read = READERS[reader]
    plain_path, windows_path = tmp_path / f"plain{suffix}", tmp_path / f"windows{suffix}"
    plain = read(write(plain_path, good.encode("utf-8")))
    windows = read(write(windows_path, ("\ufeff" + good.replace("\n", "\r\n")).encode("utf-8")))
    assert repr(windows).replace(str(windows_path), str(plain_path)) == repr(plain)


def test_a_stray_bom_line_inside_a_conll_file_is_a_blank_line(tmp_path):
    # cat a.conll b.conll, where b.conll starts with a byte-order mark
    path = write(tmp_path / "cat.conll", "John B-PER\n\n\ufeff\nParis B-LOC\n\n\ufeffBerlin B-LOC\n".encode("utf-8"))
    sentences, _ = read_conll(path)
    assert [s.tokens for s in sentences] == [["John"], ["Paris"], ["Berlin"]]


def test_the_bom_never_becomes_part_of_a_source_token(tmp_path):
    src, tgt, _ = read_parallel_tsv(write(tmp_path / "p.tsv", "\ufeffGo.\tVa !\r\n".encode("utf-8")))
    assert src == ["Go."] and tgt == ["Va !"]


def test_predict_input_keeps_one_output_line_per_input_line(tmp_path):
    # str.splitlines() would also split at U+2028, form feeds and other separators inside a line
    path = write(tmp_path / "in.txt", "a\u2028b\x0cc\r\nd\n".encode("utf-8"))
    assert read_lines(str(path)) == ["a\u2028b\x0cc", "d"]


@pytest.mark.parametrize(("reader", "text", "message"), [
    ("parallel", "Go.\tVa !\nonly one column\n", r":2: expected at least 2 tab-separated columns, found 1"),
    ("conll", "John B-PER x\nsaid O\n", r":2: expected 3 columns, found 2"),
    ("labeled", "text\tlabel\ngood film\n", r":2: expected at least 2 columns"),
    ("series", "time,load\n0,1.5\n1,2.5,7\n", r":3: expected 2 comma-separated fields"),
    ("series", "time,load\n0,1.5\n1,1e300\n", r":3:2: value too large .*'1e300'"),
    ("series", "time,load\n0,1.5\n1,-inf\n", r":3:2: infinite value"),
    ("dialog_tsv", "Hi .\n", r":1: expected context<TAB>response"),
    ("chatterbot", "conversations: [[Hi, Hello]\n", r":2: malformed YAML"),
])
def test_malformed_rows_name_file_and_line(reader, text, message, tmp_path):
    suffix, _, read = READERS[reader]
    path = write(tmp_path / f"m{suffix}", text.encode("utf-8"))
    with pytest.raises(DataError, match=rf"^{path}{message}"):
        read(path)


@pytest.mark.parametrize("reader", ["parallel", "conll", "lm_text"])
def test_an_empty_file_is_not_a_traceback(reader, tmp_path):
    suffix, _, read = READERS[reader]
    try:
        read(write(tmp_path / f"empty{suffix}", b""))
    except Seq2SeqError as err:
        one_line(err)


def test_a_huge_line_is_read_whole(tmp_path):
    src = "a" * 2_000_000
    sources, _, _ = read_parallel_tsv(write(tmp_path / "huge.tsv", f"{src}\tb\n".encode()))
    assert sources == [src]


# -- checkpoints ---------------------------------------------------------------------------------------
def _train(tmp: Path, name: str, overrides: list[str]) -> Path:
    from seq2seq.train import train

    train(compose_cfg("train", [*overrides, f"paths.output_dir={tmp / name}", f"paths.cache_dir={tmp / 'cache'}",
                                "trainer.accelerator=cpu", "trainer.devices=1", "logger.tensorboard=false"]))
    return tmp / name / "checkpoints" / "best.ckpt"


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory) -> dict[str, Path]:
    """Tiny translation, NER and LM checkpoints (a few training steps each)."""
    tmp = tmp_path_factory.mktemp("ckpts")
    corpus = tmp / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(120)), encoding="utf-8")
    return {
        "translation": _train(tmp, "s2s", [f"data.path={corpus}", "data.valid_size=20", "data.test_size=20",
                                           "data.batch_size=16", "debug=fast"]),
        "ner": _train(tmp, "ner", ["task=ner", "debug=ner_fast"]),
        "lm": _train(tmp, "lm", ["task=lm", "debug=fast"]),
    }


def _damage(c: dict, how: str) -> dict | torch.Tensor:
    first = next(iter(c["state_dict"]))
    if how == "other_format":
        c["seq2seq"]["format"] = 2
    elif how == "newer_version":
        c["seq2seq"]["version"] = "9.0.0"
    elif how == "garbled_version":
        c["seq2seq"]["version"] = "beta"
    elif how == "no_tokenizer":
        c["seq2seq"]["tokenizers"].pop("target")
    elif how == "broken_tokenizer":
        c["seq2seq"]["tokenizers"]["target"] = {"kind": "char"}
    elif how == "wrong_shape":
        c["state_dict"][first] = torch.zeros(3)
    elif how == "missing_parameter":
        c["state_dict"].pop(first)
    elif how == "unknown_parameter":
        c["state_dict"]["model.extra.weight"] = torch.zeros(2)
    elif how == "nan_parameter":
        c["state_dict"][first] = torch.full_like(c["state_dict"][first], float("nan"))
    elif how == "bad_hyper_parameters":
        c["hyper_parameters"]["model"] = {"no_such_key": 1}
    elif how == "unknown_kind":
        c["seq2seq"]["kind"] = "speech"
    elif how == "no_config":
        c["seq2seq"].pop("config")
    elif how == "foreign_lightning":
        return {"state_dict": c["state_dict"], "epoch": 3, "hyper_parameters": {}}
    elif how == "bare_tensor":
        return torch.zeros(3)
    return c


DAMAGE = {
    "other_format": r"checkpoint format 2 .* reads format 1",
    "newer_version": r"written by seq2seq 9\.0\.0, newer than this one",
    "garbled_version": r"damaged seq2seq checkpoint \(seq2seq\.version='beta'\)",
    "no_tokenizer": r"no 'target' tokenizer",
    "broken_tokenizer": r"tokenizers do not build a Seq2SeqTask",
    "wrong_shape": r"parameter model\.\S+ has shape \(3,\), the model .* needs \(",
    "missing_parameter": r"no parameter model\.",
    "unknown_parameter": r"an unknown parameter model\.extra\.weight",
    "nan_parameter": r"parameter model\.\S+ holds NaN/inf",
    "bad_hyper_parameters": r"hyper-parameters or tokenizers do not build",
    "unknown_kind": r"task kind 'speech', which this seq2seq does not know",
    "no_config": r"seq2seq\.config is missing",
    "foreign_lightning": r"not a seq2seq checkpoint",
    "bare_tensor": r"not a seq2seq checkpoint",
}


@pytest.mark.parametrize("how", DAMAGE)
def test_damaged_checkpoints_are_one_line_naming_the_file(how, ckpts, tmp_path):
    saved = torch.load(ckpts["translation"], weights_only=True)
    path = tmp_path / f"{how}.ckpt"
    torch.save(_damage(copy.deepcopy(saved), how), path)
    with pytest.raises(CheckpointError) as err:
        load_task(path)
    assert one_line(err.value).startswith(f"{path}: ")
    assert re.search(DAMAGE[how], str(err.value)), str(err.value)


@pytest.mark.parametrize("cut", [0, 100, 0.5, -20])
def test_truncated_checkpoints_are_one_line(cut, ckpts, tmp_path):
    raw = ckpts["translation"].read_bytes()
    n = int(len(raw) * cut) if isinstance(cut, float) else (cut if cut >= 0 else len(raw) + cut)
    path = write(tmp_path / "cut.ckpt", raw[:n])
    with pytest.raises(CheckpointError, match=rf"^{path}: not a readable checkpoint \(truncated"):
        load_task(path)


def test_a_text_file_a_pickle_or_a_directory_as_checkpoint(tmp_path):
    import argparse

    path = write(tmp_path / "notes.ckpt", b"not a checkpoint\n")
    with pytest.raises(CheckpointError, match=rf"^{path}: not a readable checkpoint"):
        load_task(path)
    pickled = tmp_path / "other_project.ckpt"  # arbitrary objects: refused by weights_only, never unpickled
    torch.save({"state_dict": {}, "hparams": argparse.Namespace(lr=1)}, pickled)
    with pytest.raises(CheckpointError, match=rf"^{pickled}: not a readable checkpoint"):
        load_task(pickled)
    with pytest.raises(CheckpointError, match=rf"^{tmp_path}: a directory"):
        load_task(tmp_path)


def test_a_ner_checkpoint_given_to_chat_is_one_line(ckpts):
    from seq2seq.chat import chat

    with pytest.raises(Seq2SeqError, match=r"task kind ner") as err:
        chat(compose_cfg("chat", [f"ckpt_path={ckpts['ner']}", "device=cpu"]))
    one_line(err.value)


def test_load_task_refuses_a_kind_the_command_does_not_take(ckpts):
    with pytest.raises(CheckpointError, match=r"a ner checkpoint \(task kind ner\); seq2seq\.chat needs"):
        load_task(ckpts["ner"], kinds=("seq2seq",), command="seq2seq.chat")


# -- what predict prints ----------------------------------------------------------------------------------
def test_ner_predict_prints_the_input_scheme_like_evaluate(ckpts, tmp_path, capsys):
    """The model tags in BIOES, the data is IOB2: predict must print IOB2, as evaluate writes it."""
    from seq2seq.predict import predict

    ckpt = torch.load(ckpts["ner"], weights_only=True)
    tags = ckpt["hyper_parameters"]["tags"]
    assert ckpt["hyper_parameters"]["scheme"] == "bioes" and ckpt["seq2seq"]["config"]["data"]["scheme_in"] == "iob2"
    sd = ckpt["state_dict"]  # emissions favour B-PER and E-PER, whatever the words: "B-PER E-PER" in BIOES
    sd["model.project.weight"].zero_()
    sd["model.project.bias"].zero_()
    sd["model.project.bias"][[tags.index("B-PER"), tags.index("E-PER")]] = 10.0
    for key in ("model.crf.transitions", "model.crf.start", "model.crf.end"):
        sd[key].zero_()
    path = tmp_path / "per.ckpt"
    torch.save(ckpt, path)
    inputs = write(tmp_path / "in.txt", b"John Smith\n")
    out = predict(compose_cfg("predict", [f"ckpt_path={path}", f"input={inputs}", "device=cpu"]))
    assert out == ["John/B-PER Smith/I-PER"]
    record = json.loads(predict(compose_cfg("predict", [f"ckpt_path={path}", f"input={inputs}", "device=cpu",
                                                        "format=json"]))[0])
    assert record["tags"] == ["B-PER", "I-PER"] and record["spans"][0]["text"] == "John Smith"


def test_lm_predict_echoes_the_prompt_as_typed(ckpts, tmp_path):
    from seq2seq.predict import predict

    typed = "Alice \u2603 \u00c9cole "  # a snowman and an É the training text never had
    inputs = write(tmp_path / "prompts.txt", (typed + "\n").encode("utf-8"))
    out = predict(compose_cfg("predict", [f"ckpt_path={ckpts['lm']}", f"input={inputs}", "device=cpu",
                                          "decoding.length=5", "decoding.seed=1"]))
    assert out[0].startswith(typed) and "<unk>" not in out[0]


def test_predict_with_latin1_input_writes_no_output(ckpts, tmp_path):
    from seq2seq.predict import predict

    inputs = write(tmp_path / "in.txt", "caf\u00e9\n".encode("latin-1"))
    output = tmp_path / "out.txt"
    with pytest.raises(DataError, match=rf"^{inputs}:1: not valid UTF-8"):
        predict(compose_cfg("predict", [f"ckpt_path={ckpts['translation']}", f"input={inputs}", f"output={output}",
                                        "device=cpu"]))
    assert not output.exists()


def test_evaluate_with_a_bad_input_file_writes_no_metrics(ckpts, tmp_path):
    from seq2seq.evaluate import evaluate

    inputs = write(tmp_path / "in.tsv", b"Go.\tVa !\nH\x00i\tSalut\n")
    out_dir = tmp_path / "eval"
    with pytest.raises(DataError, match=rf"^{inputs}:2: NUL byte"):
        evaluate(compose_cfg("evaluate", [f"ckpt_path={ckpts['translation']}", f"input={inputs}",
                                          f"output_dir={out_dir}", "device=cpu"]))
    assert not (out_dir / "metrics.json").exists()


# -- prepared data ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple[Path, list[str]]:
    from seq2seq.prepare import prepare

    tmp = tmp_path_factory.mktemp("prepared")
    corpus = tmp / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(120)), encoding="utf-8")
    overrides = [f"data.path={corpus}", "data.valid_size=20", "data.test_size=20"]
    prepare(compose_cfg("prepare", [*overrides, f"data.prepared={tmp / 'prep'}"]))
    return tmp / "prep", overrides


def _open(directory: Path, overrides: list[str]):
    from seq2seq.data.pairs.prepared_dir import open_prepared
    from seq2seq.train_config import validate_train_config

    cfg = validate_train_config(compose_cfg("train", [*overrides, f"data.prepared={directory}",
                                                      f"paths.output_dir={directory.parent / 'run'}",
                                                      "paths.cache_dir=null"]))
    return open_prepared(cfg["data"], cfg["tokenizer"])


def _copy(prepared: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(prepared, tmp_path / "prep"))


def test_a_damaged_prepared_array_of_the_right_size_is_refused(prepared, tmp_path):
    directory = _copy(prepared[0], tmp_path)
    _open(directory, prepared[1])  # intact: opens
    array = directory / "train" / "tgt_ids.npy"
    raw = bytearray(array.read_bytes())
    raw[-3] ^= 0x01  # one bit, same size, still a valid id
    array.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=rf"^{array}: content changed since it was prepared \(checksum mismatch"):
        _open(directory, prepared[1])


def test_out_of_range_ids_are_refused_before_training(prepared, tmp_path):
    from seq2seq.data.npy_files import NpyAppender

    directory = _copy(prepared[0], tmp_path)
    path = directory / "valid" / "src_ids.npy"
    ids = np.load(path).copy()
    ids[0] = 10_000
    writer = NpyAppender(path, np.int32)  # rewritten with a matching checksum: only the range check can tell
    writer.append(ids)
    writer.close()
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["counts"]["valid"]["checksums"]["src_ids.npy"] = writer.digest
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=rf"^{path}: token id 10000 outside the vocabulary of \d+"):
        _open(directory, prepared[1])


@pytest.mark.parametrize("damage", ["truncate", "no_checksums", "texts"])
def test_other_prepared_damage_is_one_line(damage, prepared, tmp_path):
    directory = _copy(prepared[0], tmp_path)
    if damage == "truncate":
        path = directory / "test" / "lengths.npy"
        path.write_bytes(path.read_bytes()[:-8])
    elif damage == "no_checksums":
        manifest = json.loads((directory / "manifest.json").read_text())
        manifest["counts"]["train"].pop("checksums")
        (directory / "manifest.json").write_text(json.dumps(manifest))
    else:
        path = directory / "test" / "texts.json"
        texts = json.loads(path.read_text())
        texts["tgt"][0] = "edited"
        path.write_text(json.dumps(texts))
    with pytest.raises(DataError) as err:
        _open(directory, prepared[1])
    assert str(directory) in one_line(err.value) and "seq2seq.prepare" in str(err.value)


def test_prepare_of_a_latin1_corpus_leaves_no_prepared_dir(tmp_path):
    from seq2seq.prepare import prepare

    corpus = write(tmp_path / "c.tsv", "Go.\tVa !\ncaf\u00e9\tcaf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=rf"^{corpus}:2: not valid UTF-8"):
        prepare(compose_cfg("prepare", [f"data.path={corpus}", f"data.prepared={tmp_path / 'prep'}"]))
    assert not (tmp_path / "prep").exists()


def test_a_full_disk_while_caching_is_a_warning_not_an_unexpected_pos(tmp_path, monkeypatch, caplog):
    """torch.save given a file name reports a short write as "unexpected pos 704 vs 598"; the cache is optional,
    so a full disk there is a warning naming the entry, and no partial entry is left behind."""
    from seq2seq.data import cache

    real_save = torch.save

    def save_to_full_disk(obj, f) -> None:  # /dev/full: every write fails with ENOSPC
        with open("/dev/full", "wb") as full:
            real_save(obj, full if hasattr(f, "write") else full.name)

    monkeypatch.setattr(torch, "save", save_to_full_disk)  # cache.py imports torch where it saves
    payload, hit = cache.load_or_build(str(tmp_path), "k", lambda: {"ids": torch.zeros(10_000)})
    assert not hit and payload["ids"].shape == (10_000,)
    assert "disk full" in caplog.text and str(tmp_path / "k.pt") in caplog.text
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_while_saving_a_checkpoint_names_the_file(tmp_path, monkeypatch):
    from seq2seq.atomic import atomic_path

    real_save = torch.save
    monkeypatch.setattr(torch, "save", lambda obj, f: real_save(obj, "/dev/full"))  # torch's own short-write error
    target = tmp_path / "checkpoints" / "best.ckpt"
    with pytest.raises(Seq2SeqError) as err, atomic_path(target) as tmp:
        torch.save({"w": torch.zeros(10_000)}, tmp)
    assert one_line(err.value).startswith(f"{target}: disk full")
    assert list(target.parent.iterdir()) == []


# -- seq2seq.runs ------------------------------------------------------------------------------------------
def _run(root: Path, name: str, monitor: str, mode: str | None, best: float) -> None:
    run = root / name
    (run / "checkpoints").mkdir(parents=True)
    task = {"name": name, "monitor": monitor, **({"mode": mode} if mode else {})}
    (run / "config.yaml").write_text(json.dumps({"task": task}))
    (run / "metrics.json").write_text(json.dumps({"objective": best, "global_step": 5}))


def test_runs_skips_a_truncated_metrics_file_with_one_warning(tmp_path, capsys):
    from seq2seq.runs import main

    _run(tmp_path, "good", "val/chrf", "max", 50.0)
    _run(tmp_path, "cut", "val/chrf", "max", 60.0)
    (tmp_path / "cut" / "metrics.json").write_text('{"objective": 6')
    assert main([str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "good" in out and "cut" in out
    assert err.count("\n") == 1 and f"{tmp_path / 'cut' / 'metrics.json'}: unreadable" in err


@pytest.mark.parametrize(("monitor", "mode"), [("val/loss", "min"), ("val/bpc", None), ("val/mae", "min")])
def test_runs_best_first_follows_the_monitor_mode(monitor, mode, tmp_path, capsys):
    from seq2seq.runs import main

    for name, value in (("worse", 2.0), ("better", 1.0), ("middle", 1.5)):
        _run(tmp_path, name, monitor, mode, value)
    main([str(tmp_path), "--csv"])
    order = [line.split(",")[0].rsplit("/", 1)[1] for line in capsys.readouterr().out.splitlines()[1:]]
    assert order == ["better", "middle", "worse"]


# -- the CLI wrapper ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("error", "expected"), [
    (OSError(errno.ENOSPC, "No space left on device", "/out/predictions.txt"), "/out/predictions.txt: disk full"),
    (PermissionError(errno.EACCES, "Permission denied", "/root/x"), "/root/x: permission denied"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/nope/out.txt"), "/nope/out.txt: no such file"),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "/tmp"), "/tmp: a directory, not a file"),
    (UnicodeDecodeError("utf-8", b"caf\xe9", 3, 4, "invalid continuation byte"),
     "input is not valid UTF-8 (byte 0xe9 at byte offset 3)"),
])
def test_one_line_errors_turns_os_and_decode_errors_into_exit_2(error, expected, capsys, monkeypatch):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)

    @one_line_errors
    def fails():
        raise error

    with pytest.raises(SystemExit) as stop:
        fails()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {expected}") and err.count("\n") == 1


def test_programming_errors_keep_their_traceback_and_full_error_shows_all(monkeypatch):
    @one_line_errors
    def bug():
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        bug()

    @one_line_errors
    def full():
        raise DataError("x.tsv:3: bad")

    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(DataError):
        full()


# -- the commands as users type them ----------------------------------------------------------------------------
def run_cli(module: str, args: list[str], cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, input=stdin, capture_output=True,
                          env=env, timeout=300, check=False)


def assert_one_line_error(result: subprocess.CompletedProcess, *names: str) -> str:
    err = result.stderr.decode("utf-8", errors="replace")
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


def test_cli_train_with_a_directory_as_data_path(tmp_path):
    result = run_cli("seq2seq.train", [f"data.path={tmp_path}", f"paths.output_dir={tmp_path / 'run'}",
                                       f"paths.cache_dir={tmp_path / 'cache'}"], tmp_path)
    assert_one_line_error(result, str(tmp_path), "a directory", "data.path")
    assert not (tmp_path / "run" / "checkpoints").exists() and not (tmp_path / "run" / "metrics.json").exists()


def test_cli_predict_latin1_stdin(ckpts, tmp_path):
    result = run_cli("seq2seq.predict", [f"ckpt_path={ckpts['translation']}", "device=cpu"], tmp_path,
                     stdin="caf\u00e9\n".encode("latin-1"))
    assert_one_line_error(result, "stdin:1: not valid UTF-8", "iconv")
    assert result.stdout == b""


def test_cli_predict_into_a_missing_directory(ckpts, tmp_path):
    output = tmp_path / "missing" / "out.txt"
    result = run_cli("seq2seq.predict", [f"ckpt_path={ckpts['translation']}", "device=cpu", f"output={output}"],
                     tmp_path, stdin=b"abc\n")
    assert_one_line_error(result, str(output))
    assert not output.exists()


def test_cli_evaluate_a_truncated_checkpoint(ckpts, tmp_path):
    path = write(tmp_path / "cut.ckpt", ckpts["translation"].read_bytes()[:4096])
    result = run_cli("seq2seq.evaluate", [f"ckpt_path={path}", "device=cpu"], tmp_path)
    assert_one_line_error(result, str(path), "not a readable checkpoint")
    assert not (tmp_path / "eval").exists()
