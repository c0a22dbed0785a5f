"""ONNX export: for every cell × attention × input-feed (× coverage) combination of a tiny random model, the
exported graphs with the NumPy search give PyTorch's greedy and beam outputs token for token (scores within
1e-4); classifiers give the same probabilities; the ONNX predictor imports no torch; damaged or mismatched
export directories are one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import ROOT, compose_cfg

import seq2seq
from seq2seq.errors import CheckpointError, ConfigError
from seq2seq.export import export_predictor
from seq2seq.hydra_schemas import schema_defaults
from seq2seq.inference.classify import ClassifyPredictor, build_classifier
from seq2seq.inference.translation import TranslationPredictor, build_seq2seq_model
from seq2seq.inference.translation import search as torch_search
from seq2seq.onnx_runtime.translation import search as numpy_search
from seq2seq.tasks.classify.config import ClassifierModelConfig
from seq2seq.tasks.forecast.config import ForecasterModelConfig
from seq2seq.tasks.lm.config import LMModelConfig
from seq2seq.tasks.ner.config import TaggerModelConfig
from seq2seq.tokenizers import EOS, PAD, SPECIALS, tokenizer_from_state

LETTERS = list("abcdefghijklmnop")


@pytest.fixture(scope="module")
def train_cfg() -> dict:
    from seq2seq.train_config import validate_train_config

    return validate_train_config(compose_cfg("train", ["paths.output_dir=unused", "paths.cache_dir=unused"]))


def tiny_translator(train_cfg: dict, seed: int = 0, **model) -> TranslationPredictor:
    """A randomly initialised translation predictor (no training: the graphs, not the quality, are tested)."""
    torch.manual_seed(seed)
    tok = tokenizer_from_state({"kind": "char", "min_freq": 1, "max_size": None, "itos": [*SPECIALS, *LETTERS]})
    size = tok.vocab_size
    model = {**train_cfg["model"], "embedding_dim": 8, "hidden_size": 8, "encoder_layers": 2, "decoder_layers": 2,
             **model}
    hparams = {"model": model, "src_vocab_size": size, "tgt_vocab_size": size, "decoding": train_cfg["decoding"]}
    net = build_seq2seq_model(model, size, size)
    with torch.no_grad():  # spread the logits so that no two candidates tie (ties may break either way)
        for p in net.parameters():
            p.mul_(3.0)
    return TranslationPredictor(net.eval(), {"source": tok, "target": tok}, train_cfg, hparams)


def sources(n: int = 6, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 9, n)
    src = np.full((n, lengths.max()), PAD, dtype=np.int64)
    for i, length in enumerate(lengths):
        src[i, : length - 1] = rng.integers(len(SPECIALS), len(SPECIALS) + len(LETTERS), length - 1)
        src[i, length - 1] = EOS
    return src, lengths.astype(np.int64)


def assert_same_search(torch_pred, onnx_pred, d: dict) -> None:
    src, lengths = sources()
    with torch.no_grad():
        want = torch_search(torch_pred.model, torch.from_numpy(src), torch.from_numpy(lengths), d)
    got = numpy_search(onnx_pred.model, src, lengths, d)
    np.testing.assert_array_equal(got.tokens, want.tokens.numpy())
    np.testing.assert_allclose(got.scores, want.scores.numpy(), atol=1e-4, rtol=0)
    if want.attention is not None:
        np.testing.assert_allclose(got.attention, want.attention.numpy(), atol=1e-4, rtol=0)


def decodings(base: dict, attention: bool) -> list[dict]:
    common = {**base, "strategy": "beam", "max_len_ratio": 1.5, "max_len_extra": 3, "max_len_cap": 12}
    beam = {**common, "beam_size": 4, "n_best": 3, "length_penalty": "gnmt", "alpha": 0.6}
    return [{**common, "beam_size": 1, "n_best": 1},
            {**common, "beam_size": 1, "n_best": 1, "min_len": 3, "no_repeat_ngram": 2},
            beam,
            {**beam, "keep_greedy": True, "length_penalty": "avg", "no_repeat_ngram": 2,
             "coverage_penalty": 0.3 if attention else 0.0}]


COMBOS = [(cell, attention, feed) for cell in ("lstm", "gru", "rnn")
          for attention in ("none", "bahdanau", "dot", "general", "concat")
          for feed in (False, True) if not (attention == "none" and feed)]


@pytest.mark.parametrize(("cell", "attention", "feed"), COMBOS)
def test_exported_seq2seq_decodes_token_for_token(train_cfg, tmp_path, cell, attention, feed):
    coverage = attention in ("bahdanau", "general") and cell != "gru"  # coverage on a spread of combinations
    pred = tiny_translator(train_cfg, cell=cell, attention=attention, input_feed=feed, coverage=coverage)
    onnx_pred = seq2seq.load(export_predictor(pred, tmp_path / "export"))
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert ("c" in manifest["state"]) == (cell == "lstm") and ("feed" in manifest["state"]) == feed
    assert ("coverage" in manifest["state"]) == coverage
    for d in decodings(train_cfg["decoding"], attention != "none"):
        assert_same_search(pred, onnx_pred, d)


@pytest.mark.parametrize("model", [
    {"bridge": "dense", "bidirectional_merge": "sum", "decoder_layers": 1},
    {"bridge": "zero", "bidirectional": False, "tie_embeddings": True, "share_embeddings": True},
    {"cell_impl": "reference", "decoder_hidden_size": 12, "attention": "bahdanau", "input_feed": True},
])
def test_other_architectures_decode_token_for_token(train_cfg, tmp_path, model):
    pred = tiny_translator(train_cfg, **model)
    onnx_pred = seq2seq.load(export_predictor(pred, tmp_path / "export"))
    for d in decodings(train_cfg["decoding"], pred.model.decoder.attention is not None)[::2]:
        assert_same_search(pred, onnx_pred, d)


def test_predictor_interface_matches_and_imports_no_torch(train_cfg, tmp_path):
    pred = tiny_translator(train_cfg, attention="general", input_feed=True)
    out = export_predictor(pred, tmp_path / "export")
    texts = ["abc", "hello", "ponm"]
    onnx_pred = seq2seq.load(out)
    for options in ({"beam_size": 1}, {"beam_size": 3, "n_best": 2, "return_attention": True}):
        want, got = pred.predict(texts, **options), onnx_pred.predict(texts, **options)
        assert [g["text"] for g in got] == [w["text"] for w in want]
        assert [g.get("nbest") and [t for t, _ in g["nbest"]] for g in got] == \
               [w.get("nbest") and [t for t, _ in w["nbest"]] for w in want]
        assert np.allclose([g["score"] for g in got], [w["score"] for w in want], atol=1e-4)
    greedy = [t.text for t in onnx_pred.translate(texts, beam_size=1)]
    assert [t.text for t in onnx_pred.translate(texts, strategy="sample", temperature=0.0)] == greedy
    sampled = [t.text for t in onnx_pred.translate(texts, strategy="sample", top_p=0.9, seed=7)]
    assert sampled == [t.text for t in onnx_pred.translate(texts, strategy="sample", top_p=0.9, seed=7)]
    assert onnx_pred.task == pred.task and onnx_pred.decoding_defaults == pred.decoding_defaults
    assert onnx_pred.chat().reply("abc") == pred.chat().reply("abc")
    with pytest.raises(ConfigError, match="unknown decoding option"):
        onnx_pred.translate(["abc"], beam=3)
    with pytest.raises(ConfigError, match="CPU provider"):
        seq2seq.load(out, device="cuda")
    code = (f"import sys, seq2seq; p = seq2seq.load({str(out)!r}); print(p.translate(['abc'])[0].text); "
            "import seq2seq.onnx_runtime as r, importlib; [importlib.import_module(m.split(':')[0]) for m in "
            "r.PREDICTORS.values()]; "  # every task's ONNX predictor, not only this one
            "bad = [m for m in ('torch', 'lightning', 'hydra') if m in sys.modules]; assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == pred.translate(["abc"])[0].text


@pytest.mark.parametrize(("cell", "pooling"), [("lstm", "attention"), ("gru", "last"), ("rnn", "mean"),
                                               ("lstm", "max")])
def test_exported_classifier_gives_the_same_probabilities(train_cfg, tmp_path, cell, pooling):
    torch.manual_seed(0)
    tok = tokenizer_from_state({"kind": "char", "min_freq": 1, "max_size": None, "itos": [*SPECIALS, *LETTERS]})
    labels = ["neg", "neu", "pos"]
    model = {**schema_defaults(ClassifierModelConfig), "cell": cell, "embedding_dim": 8, "hidden_size": 8,
             "num_layers": 2, "bidirectional": True, "pooling": pooling, "mlp_hidden": [6]}
    config = {"data": {"kind": "labeled", "max_len": 6, "normalize": "nfc", "lowercase": True}, "task": {},
              "model": model}
    pred = ClassifyPredictor(build_classifier(model, tok.vocab_size, labels).eval(), {"text": tok}, config,
                             {"model": model, "vocab_size": tok.vocab_size, "labels": labels,
                              "decoding": {"batch_size": 2}})
    onnx_pred = seq2seq.load(export_predictor(pred, tmp_path / "export"))
    texts = ["abc", "Hello there", "p", "zzz", "ponmlkjihgfedcba"]  # unknown chars, truncation at max_len
    want, got = pred.predict_proba(pred.normalize(texts), 2), onnx_pred.predict_proba(onnx_pred.normalize(texts), 2)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert [c.label for c in onnx_pred.classify(texts)] == [c.label for c in pred.classify(texts)]


@pytest.fixture(scope="module")
def exported(train_cfg, tmp_path_factory) -> Path:
    return export_predictor(tiny_translator(train_cfg, attention="dot"), tmp_path_factory.mktemp("e") / "export")


def damaged_copy(src: Path, dst: Path, change) -> Path:
    import shutil

    shutil.copytree(src, dst)
    change(dst)
    return dst


def rewrite_manifest(path: Path, **entries) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps({**manifest, **entries}))


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: (p / "manifest.json").unlink(), "neither a checkpoint file nor an export directory"),
    (lambda p: (p / "manifest.json").write_text("{not json"), "not valid JSON"),
    (lambda p: rewrite_manifest(p, format=99), "export format 99"),
    (lambda p: rewrite_manifest(p, kind="speech"), "task kind 'speech' has no ONNX runtime"),
    (lambda p: (p / "step.onnx").unlink(), "missing graph file"),
    (lambda p: (p / "step.onnx").write_bytes((p / "step.onnx").read_bytes()[:-10]), "SHA-256 differs"),
    (lambda p: (p / "step.onnx").write_bytes((p / "encoder.onnx").read_bytes()), "SHA-256 differs"),
])
def test_damaged_or_mismatched_export_dirs_are_one_line_errors(exported, tmp_path, change, message):
    broken = damaged_copy(exported, tmp_path / "broken", change)
    with pytest.raises(CheckpointError, match=message) as err:
        seq2seq.load(broken)
    assert "\n" not in str(err.value) and "python -m seq2seq.export" in str(err.value)


def test_graph_with_other_inputs_than_the_manifest_is_refused(exported, train_cfg, tmp_path):
    other = export_predictor(tiny_translator(train_cfg, attention="none"), tmp_path / "other")
    broken = damaged_copy(exported, tmp_path / "broken", lambda p: None)
    (broken / "step.onnx").write_bytes((other / "step.onnx").read_bytes())
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["graphs"]["step"]["sha256"] = json.loads((other / "manifest.json").read_text())["graphs"]["step"]["sha256"]
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="inputs/outputs"):
        seq2seq.load(broken)


def test_export_cli_refuses_other_tasks_and_non_export_dirs_in_one_line(tmp_path):
    from conftest import run_cli

    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "file.txt").write_text("x")
    with pytest.raises(ConfigError, match="not an export directory"):
        export_predictor(None, tmp_path / "keep")
    result = run_cli("seq2seq.export", [f"ckpt_path={tmp_path / 'none.ckpt'}"], tmp_path)
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'none.ckpt'}: no such checkpoint file; pass ckpt_path=<run>/checkpoints/best.ckpt"]


@pytest.mark.parametrize(("cell", "head", "flags"), [("lstm", "direct", {"residual": True}),
                                                     ("gru", "direct", {"subtract_last": True, "highway": 6}),
                                                     ("gru", "autoregressive", {"subtract_last": True}),
                                                     ("rnn", "autoregressive", {"residual": False})])
def test_exported_forecaster_gives_the_same_forecasts(tmp_path, cell, head, flags):
    from seq2seq.inference.forecast import ForecastPredictor, build_forecaster

    torch.manual_seed(0)
    series = {"input_columns": ["load", "temp"], "targets": ["load"], "target_index": [0], "window": 8,
              "horizon": 4, "time_column": "time", "on_missing": "error", "season": 1,
              "scaler": {"kind": "standard", "center": [10.0, 3.0], "scale": [2.0, 0.5]}}
    model = {**schema_defaults(ForecasterModelConfig), "cell": cell, "hidden_size": 8, "num_layers": 2, "head": head,
             **flags}
    pred = ForecastPredictor(build_forecaster(model, series).eval(), {}, {"data": {}, "task": {}, "model": model},
                             {"model": model, "series": series, "decoding": {"batch_size": 2}})
    onnx_pred = seq2seq.load(export_predictor(pred, tmp_path / "export"))
    rng = np.random.default_rng(0)
    inputs = [rng.normal(10, 2, (n, 2)) for n in (8, 12, 9)]
    inputs.append([{"time": f"2024-01-{d:02d}", "load": float(d), "temp": 3.0} for d in range(1, 11)])
    want, got = pred.predict(inputs), onnx_pred.predict(inputs)
    for w, g in zip(want, got):
        assert g["times"] == w["times"] and g["steps"] == w["steps"]
        np.testing.assert_allclose(g["values"], w["values"], atol=1e-5, rtol=0)
    csv_lines = ["load,temp", *(f"{10 + i % 3},{i / 5}" for i in range(10))]
    lines = [pred.predict_lines(csv_lines, {"batch_size": 1}), onnx_pred.predict_lines(csv_lines, {"batch_size": 1})]
    np.testing.assert_allclose(*[[float(v) for v in ls] for ls in lines], atol=1e-5, rtol=0)  # 7 digits printed


def test_export_cli_on_a_trained_checkpoint(tmp_path):
    from conftest import make_reversal_pairs, run_cli

    from seq2seq.train import train

    corpus = tmp_path / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(100)), encoding="utf-8")
    train(compose_cfg("train", [f"data.path={corpus}", "data.valid_size=10", "data.test_size=10", "debug=fast",
                                "data.batch_size=16", "trainer.accelerator=cpu", "test_after_fit=false",
                                "logger=none", "model.input_feed=true", "model.coverage=true",
                                f"paths.output_dir={tmp_path / 'run'}", f"paths.cache_dir={tmp_path / 'cache'}"]))
    ckpt = tmp_path / "run" / "checkpoints" / "best.ckpt"
    result = run_cli("seq2seq.export", [f"ckpt_path={ckpt}"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "run" / "export"
    assert sorted(p.name for p in out.iterdir()) == ["encoder.onnx", "manifest.json", "step.onnx"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["task"] == "translation" and manifest["state"] == ["h", "c", "feed", "coverage"]
    texts = ["abcd", "hgfe", "cab"]
    want, got = seq2seq.load(ckpt).predict(texts), seq2seq.load(out).predict(texts)
    assert [g["text"] for g in got] == [w["text"] for w in want]
    np.testing.assert_allclose([g["score"] for g in got], [w["score"] for w in want], atol=1e-4)


@pytest.mark.parametrize("model", [
    {"cell": "lstm", "char_encoder": "cnn", "casing_dim": 4, "output": "crf", "constrained": True},
    {"cell": "gru", "char_encoder": "lstm", "casing_dim": 0, "output": "crf", "constrained": False},
    {"cell": "lstm", "char_encoder": "cnn", "casing_dim": 0, "output": "crf", "constrained": True, "packed": True},
    {"cell": "lstm", "char_encoder": "none", "casing_dim": 4, "output": "softmax", "constrained": True,
     "encoder_layers": 2},
    {"cell": "gru", "char_encoder": "cnn", "casing_dim": 4, "output": "softmax", "constrained": False},
])
def test_exported_tagger_gives_the_same_tags(tmp_path, model):
    from seq2seq.data.conll.schemes import tag_set
    from seq2seq.data.conll.vocab import TaggingVocab
    from seq2seq.inference.ner import NERPredictor, build_tagger

    torch.manual_seed(0)
    train = [["John", "lives", "in", "Paris", "."], ["EU", "rejects", "German", "call", "to", "boycott", "lamb"]]
    tags = tag_set(["PER", "LOC", "ORG"], "bioes")
    vocab = TaggingVocab.build(train, tags, "bioes")
    model = {**schema_defaults(TaggerModelConfig), "embedding_dim": 8, "char_dim": 6, "char_hidden": 6,
             "hidden_size": 8, "dropout": 0.0, **model}
    net = build_tagger(model, len(vocab.words), len(vocab.chars), tags, "bioes").eval()
    with torch.no_grad():  # a trained-looking CRF: random transitions, not zeros (ties break either way)
        for p in net.parameters():
            p.add_(torch.randn_like(p))
    config = {"data": {"kind": "conll", "scheme_in": "iob2"}, "task": {"name": "ner"}, "model": model}
    pred = NERPredictor(net, {"vocab": vocab}, config, {"model": model, "num_words": len(vocab.words),
                                                        "num_chars": len(vocab.chars), "tags": tags,
                                                        "scheme": "bioes", "decoding": {"batch_size": 3}})
    onnx_pred = seq2seq.load(export_predictor(pred, tmp_path / "export"))
    sentences = ["John lives in Paris .", "Unseen words like Zürich 1234 !", "a", ["EU", "calls", "John"],
                 "German lamb boycott rejected by the EU in Paris yesterday evening"]
    want, got = pred.predict(sentences), onnx_pred.predict(sentences)
    assert [g["tags"] for g in got] == [w["tags"] for w in want]
    assert [g["entities"] for g in got] == [w["entities"] for w in want]
    np.testing.assert_allclose([g["log_prob"] for g in got], [w["log_prob"] for w in want], atol=2e-4)
    lines = ["John lives in Paris .", "", "EU rejects"]
    assert onnx_pred.predict_lines(lines, {"batch_size": 2, "format": "json"}) == \
        pred.predict_lines(lines, {"batch_size": 2, "format": "json"})


@pytest.mark.parametrize("model", [{"cell": "lstm", "num_layers": 2}, {"cell": "gru", "tie_weights": True},
                                   {"cell": "rnn", "cell_impl": "reference", "num_layers": 1}])
def test_exported_language_model_generates_and_scores_the_same(tmp_path, model):
    from seq2seq.inference.lm import LMPredictor, build_lm

    torch.manual_seed(0)
    tok = tokenizer_from_state({"kind": "char", "min_freq": 1, "max_size": None,
                                "itos": [*SPECIALS, *LETTERS, " ", "\n"]})
    model = {**schema_defaults(LMModelConfig), "embedding_dim": 8, "hidden_size": 12, "num_layers": 2, **model}
    net = build_lm(model, tok.vocab_size).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(3.0)
    config = {"data": {"kind": "text", "normalize": "nfc", "lowercase": False, "whitespace": "fold", "bptt": 5},
              "task": {"name": "lm"}, "model": model}
    decoding = {"length": 12, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 3}
    pred = LMPredictor(net, {"text": tok}, config, {"model": model, "vocab_size": tok.vocab_size,
                                                    "decoding": decoding})
    onnx_pred = seq2seq.load(export_predictor(pred, tmp_path / "export"))
    prompts = ["abc ", "pon", ""]
    want, got = pred.predict(prompts, temperature=0.0), onnx_pred.predict(prompts, temperature=0.0)  # argmax
    assert [g["text"] for g in got] == [w["text"] for w in want]
    np.testing.assert_allclose([g["log_prob"] for g in got], [w["log_prob"] for w in want], atol=2e-4)
    text = "abc def\nghij klm nop abc\n" * 3  # several bptt windows: the state is carried across them
    assert onnx_pred.score(text).tokens == pred.score(text).tokens
    np.testing.assert_allclose(onnx_pred.score(text).bpc, pred.score(text).bpc, atol=1e-5)
    sampled = onnx_pred.predict(prompts, top_k=5, temperature=0.8)
    assert sampled == onnx_pred.predict(prompts, top_k=5, temperature=0.8)  # the seed makes it reproducible
    assert all(s["text"].startswith(p) and len(s["continuation"]) == 12 for s, p in zip(sampled, prompts))
