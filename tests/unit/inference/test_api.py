"""The Python API: ``seq2seq.load`` on a tiny checkpoint of every task gives what the CLIs give for the same
inputs, imports no Lightning/Hydra/OmegaConf, checks its inputs with one-line errors, and the README's
"Python API" snippets run as written."""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, compose_cfg, make_reversal_pairs

import seq2seq
from seq2seq.data.text.prompts import escape_newlines
from seq2seq.errors import Seq2SeqError

FAST = ["trainer.accelerator=cpu", "trainer.devices=1", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
        "trainer.limit_val_batches=1", "trainer.num_sanity_val_steps=0", "trainer.enable_progress_bar=false",
        "test_after_fit=false", "logger=none"]
DIALOGS = "".join(f"hello {i} . __eou__ hi {i} . __eou__ how are you ? __eou__ fine {i} . __eou__\n" for i in range(30))


def task_overrides(task: str, tmp: Path) -> list[str]:
    if task == "translation":
        corpus = tmp / "pairs.tsv"
        corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(100)), encoding="utf-8")
        return ["debug=fast", f"data.path={corpus}", "data.valid_size=10", "data.test_size=10", "data.batch_size=16"]
    if task == "chatbot":
        (tmp / "dialogs.txt").write_text(DIALOGS, encoding="utf-8")
        return ["task=chatbot", "data=dailydialog", f"data.path={tmp / 'dialogs.txt'}", "data.valid_path=null",
                "data.test_path=null", "data.valid_size=5", "data.test_size=5", "tokenizer.vocab_size=60",
                "debug=fast"]
    return {"ner": ["task=ner", "debug=ner_fast"],
            "classify": ["task=classify", "data.limit=200", "data.valid_size=20", "data.test_size=20",
                         "model.embedding_dim=8", "model.hidden_size=8"],
            "lm": ["task=lm", "model.embedding_dim=8", "model.hidden_size=16", "data.batch_size=4", "data.bptt=32",
                   "data.eval_batch_size=2", "decoding.length=20"],
            "forecast": ["task=forecast", "debug=forecast_fast"]}[task]


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    """A checkpoint per task, trained on first use (a few steps: the API, not the quality, is under test)."""
    from seq2seq.train import train

    made: dict[str, Path] = {}

    def get(task: str) -> Path:
        if task not in made:
            tmp = tmp_path_factory.mktemp(task)
            train(compose_cfg("train", [*task_overrides(task, tmp), *FAST, f"paths.output_dir={tmp / 'run'}",
                                        f"paths.cache_dir={tmp / 'cache'}"]))
            made[task] = tmp / "run" / "checkpoints" / "best.ckpt"
        return made[task]

    return get


def run_predict_cli(ckpt: Path, tmp: Path, lines: list[str], *overrides: str) -> tuple[list[str], dict]:
    """The ``predict`` CLI in-process: its output lines and its validated decoding section."""
    from seq2seq.decoding_config import validate_predict_config
    from seq2seq.predict import predict

    (tmp / "in.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    cfg = compose_cfg("predict", [f"ckpt_path={ckpt}", f"input={tmp / 'in.txt'}", f"output={tmp / 'out.txt'}",
                                  "device=cpu", *overrides])
    predict(cfg)
    return (tmp / "out.txt").read_text(encoding="utf-8").splitlines(), validate_predict_config(cfg)["decoding"]


def accepted(predictor, decoding: dict) -> dict:
    return {k: v for k, v in decoding.items() if k in predictor.decoding_keys}


@pytest.mark.parametrize("task", ["translation", "chatbot", "ner", "classify", "lm", "forecast"])
def test_load_gives_the_task_predictor_with_json_info(checkpoints, task):
    p = seq2seq.load(checkpoints(task))
    info = json.loads(json.dumps(p.info()))  # JSON-able
    assert p.task == task == info["task"] and info["decoding_keys"] == list(p.decoding_keys)
    assert "best " + {"translation": "val/chrf", "chatbot": "val/loss", "ner": "val/f1", "classify": "val/accuracy",
                      "lm": "val/bpc", "forecast": "val/mae"}[task] in info["metrics"]


def test_translation_equals_the_predict_cli_and_reports_nbest_and_attention(checkpoints, tmp_path):
    p = seq2seq.load(checkpoints("translation"))
    lines = ["abc", "hgfedc", "ba", "abcdefgh"]
    cli, decoding = run_predict_cli(checkpoints("translation"), tmp_path, lines, "decoding.beam_size=3")
    results = p.translate(lines, **accepted(p, decoding))
    assert [r.text for r in results] == cli
    assert [r["text"] for r in p.predict(lines, **accepted(p, decoding))] == cli
    cli_nbest, _ = run_predict_cli(checkpoints("translation"), tmp_path, lines, "decoding.beam_size=3",
                                   "decoding.n_best=2", "show_scores=true")
    nbest = p.translate(lines, **{**accepted(p, decoding), "n_best": 2})
    assert [f"{i}\t{s:.4f}\t{t}" for i, r in enumerate(nbest, 1) for t, s in r.nbest] == cli_nbest
    assert all(r.nbest[0] == (r.text, r.score) for r in nbest)
    seen = p.translate(["abc"], beam_size=2, return_attention=True)[0].attention
    assert seen["source"][:3] == ["a", "b", "c"] and len(seen["weights"]) == len(seen["target"])
    assert all(abs(sum(row) - 1) < 1e-3 for row in seen["weights"])  # each output step's weights sum to 1


def test_chat_session_equals_the_chat_cli(checkpoints, monkeypatch, capsys):
    from seq2seq.chat import chat

    ckpt = checkpoints("chatbot")
    cfg = compose_cfg("chat", [f"ckpt_path={ckpt}", "device=cpu", "decoding.beam_size=2"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello 3 .\nhow are you ?\n/reset\nhi 2 .\n"))
    chat(cfg)
    cli = capsys.readouterr().out.splitlines()
    p = seq2seq.load(ckpt)
    session = p.chat(beam_size=2, no_repeat_ngram=3)
    replies = [session.reply("hello 3 ."), session.reply("how are you ?")]
    assert len(session.history) == 4 and session.context("x").endswith(f"{replies[1]} <sep> x")
    session.reset()
    assert session.history == [] and [*replies, session.reply("hi 2 .")] == cli


def test_ner_tags_in_the_input_scheme_with_character_offsets(checkpoints, tmp_path):
    p = seq2seq.load(checkpoints("ner"))
    lines = ["Anna Okafor visited Paris", "the European Commission said"]
    cli, _ = run_predict_cli(checkpoints("ner"), tmp_path, lines, "format=json")
    for text, line, result in zip(lines, cli, p.tag(lines)):
        record = json.loads(line)
        assert result.tokens == record["tokens"] == text.split()
        assert result.tags == record["tags"]  # both in the training files' scheme
        assert [(e["start"], e["end"], e["type"]) for e in result.entities] == [
            (s["start"], s["end"], s["type"]) for s in record["spans"]]
        for e in result.entities:
            assert text[e["char_start"] : e["char_end"]] == e["text"]
    spaced = p.tag(["  Anna   Okafor "])[0]
    assert [e["char_start"] for e in spaced.entities] == [
        "  Anna   Okafor ".index(e["text"].split()[0]) for e in spaced.entities]
    assert p.tag([["Anna", "Okafor"]])[0].tokens == ["Anna", "Okafor"]


def test_classify_equals_the_predict_cli(checkpoints, tmp_path):
    p = seq2seq.load(checkpoints("classify"))
    lines = ["a wonderful, moving film", "dull and far too long", "ok"]
    cli, decoding = run_predict_cli(checkpoints("classify"), tmp_path, lines)
    for line, result in zip(cli, p.classify(lines, **accepted(p, decoding))):
        label, probs = line.split("\t")
        assert result.label == label and result.probabilities == json.loads(probs)
        assert abs(sum(result.probabilities.values()) - 1) < 1e-5 and result.label in p.info()["labels"]


def test_lm_generate_equals_the_predict_cli_and_scores_in_bits_per_character(checkpoints, tmp_path):
    p = seq2seq.load(checkpoints("lm"))
    prompts = ["Alice was", "The "]
    cli, decoding = run_predict_cli(checkpoints("lm"), tmp_path, prompts, "decoding.seed=5", "decoding.length=12")
    generated = p.generate(prompts, **accepted(p, decoding))
    assert [escape_newlines(g.text) for g in generated] == cli
    assert all(g.text == g.prompt + g.continuation for g in generated)
    assert p.generate("Alice was", **accepted(p, decoding)).text == generated[0].text  # seed + position 0
    scored = p.score("Alice was beginning to get very tired.")
    assert scored.characters == len("Alice was beginning to get very tired.")
    assert scored.bpc == pytest.approx(math.log2(scored.ppl), rel=1e-4)  # char tokens: one per character


def test_forecast_equals_the_predict_cli_with_the_time_index(checkpoints, tmp_path):
    p = seq2seq.load(checkpoints("forecast"))
    lines = (ROOT / "data" / "series.csv").read_text(encoding="utf-8").splitlines()
    window = p.info()["window"]
    csv_lines = [lines[0], *lines[1 : window + 5]]
    cli, _ = run_predict_cli(checkpoints("forecast"), tmp_path, csv_lines)
    result = p.forecast("\n".join(csv_lines))
    assert [",".join(f"{v:.7g}" for v in step) for step in result.values] == cli
    assert len(result.values) == p.info()["horizon"] and result.targets == ["load"]
    last = csv_lines[-1].split(",")[0]
    assert result.times[0] > last and result.times[0][:10] == last[:10]  # hourly rows: the next hour
    rows = [[float(x) for x in line.split(",")[1:]] for line in csv_lines[1:]]  # temperature, load
    array = np.array(rows)[:, [["temperature", "load"].index(c) for c in p.info()["input_columns"]]]
    assert np.allclose(p.forecast(array).values, result.values)
    dict_rows = [dict(zip(["time", "temperature", "load"], line.split(","))) for line in csv_lines[1:]]
    as_dicts = p.forecast([{k: (v if k == "time" else float(v)) for k, v in r.items()} for r in dict_rows])
    assert np.allclose(as_dicts.values, result.values) and as_dicts.times == result.times


def test_inputs_and_options_are_checked_in_one_line(checkpoints):
    p = seq2seq.load(checkpoints("translation"))
    bad = [lambda: p.translate([]), lambda: p.translate("abc"), lambda: p.translate(["abc", 3]),
           lambda: p.translate(["a" * 500]), lambda: p.predict(["abc"], beams=3),
           lambda: p.translate(["abc"], beam_size=0), lambda: p.translate(["abc"], beam_size=2, n_best=3),
           lambda: p.translate(["abc"], temperature="hot"), lambda: p.chat().reply(None),
           lambda: seq2seq.load(checkpoints("translation"), device="gpu")]
    for call in bad:
        with pytest.raises(Seq2SeqError) as err:
            call()
        assert "\n" not in str(err.value) and len(str(err.value)) < 300, str(err.value)
    with pytest.raises(Seq2SeqError, match=r"unknown decoding option 'beams'; this model accepts: strategy"):
        p.predict(["abc"], beams=3)
    f = seq2seq.load(checkpoints("forecast"))
    with pytest.raises(Seq2SeqError, match=r"inputs\[0\]: 3 rows; the forecast reads the last"):
        f.forecast([[1.0, 2.0]] * 3)
    with pytest.raises(Seq2SeqError, match=r"expected rows × 2 columns"):
        f.forecast([[1.0, 2.0, 3.0]] * 100)


def test_loading_and_predicting_imports_no_lightning_hydra_or_omegaconf_and_predict_no_lightning(checkpoints):
    inputs = {"translation": ["abc"], "chatbot": ["hello 1 ."], "ner": ["Anna Okafor sings"], "classify": ["good"],
              "lm": ["Alice"], "forecast": [[[1.0, 2.0]] * 200]}
    paths = {task: str(checkpoints(task)) for task in inputs}
    script = ("import json, sys\nimport seq2seq\n"
              f"paths, inputs = {paths!r}, {inputs!r}\n"
              "for task, path in paths.items():\n"
              "    p = seq2seq.load(path)\n"
              "    assert len(p.predict(inputs[task])) == 1, task\n"
              "heavy = {'lightning', 'hydra', 'omegaconf', 'pytorch_lightning', 'lightning_fabric'}\n"
              "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))\n"
              # the predict CLI may use Hydra, never Lightning
              "import io, seq2seq.predict\n"
              "sys.argv, sys.stdin = ['predict', f'ckpt_path={paths[\"translation\"]}', 'device=cpu'], io.StringIO('abc')\n"
              "seq2seq.predict.main()\n"
              "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    api, cli = (json.loads(line) for line in out.stdout.splitlines() if line.startswith('["') or line == "[]")
    assert api == [] and cli == ["hydra", "omegaconf"]


def test_readme_python_api_snippets_run_as_written(checkpoints, monkeypatch):
    monkeypatch.chdir(ROOT)  # the snippets read data/series.csv as a user in the checkout would
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) >= 6
    for block in blocks:
        code = re.sub(r"runs/(\w+)/checkpoints/best\.ckpt", lambda m: str(checkpoints(m.group(1))), block)
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own code


def test_option_checks_mirror_the_decoding_schema():
    """The predictors check options without OmegaConf, so with a copy of DecodingConfig's ranges and
    choices: this keeps the copy equal to the schema."""
    from dataclasses import fields

    from seq2seq.config import DecodingConfig
    from seq2seq.inference import predictor_class
    from seq2seq.inference.options import CHOICES, RANGES, TYPES
    from seq2seq.registry import TASK_KINDS

    schema = {f.name: f for f in fields(DecodingConfig)}
    assert {k: f.metadata["range"] for k, f in schema.items() if "range" in f.metadata and k in TYPES} == RANGES
    for key, choices in CHOICES.items():
        assert sorted(choices) == sorted(e.value for e in type(schema[key].default))
    for kind in TASK_KINDS:
        keys = set(predictor_class(kind).decoding_keys)
        assert keys <= set(TYPES) and keys - {"return_attention"} <= set(schema), kind
