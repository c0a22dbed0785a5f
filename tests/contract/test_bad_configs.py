"""What users type wrong in a config: every bad value stops the command with one line that names the key,
the value and what is allowed, before any data or checkpoint is read and before anything is written.

The command functions run in-process (``train``, ``evaluate``, ``predict``, ``chat``, ``prepare``) with a
data path or checkpoint that does not exist: a ``ConfigError`` (not "no such file") proves the value was
refused before anything was read. A few subprocess runs check what the user sees: exit code 2 and exactly
one ``error:`` line on stderr, no traceback. Good values at the edges of each range still pass.
"""

from __future__ import annotations

import os

import pytest
import torch
import yaml
from conftest import compose_cfg, run_cli

from seq2seq.errors import ConfigError

MISSING = "/nonexistent/seq2seq-bad-configs"
TASKS = {
    "translation": ["task=translation", f"data.path={MISSING}/pairs.tsv"],
    "chatbot": ["task=chatbot", "data.format=tsv", f"data.path={MISSING}/dialog.tsv"],
    "lm": ["task=lm", f"data.path={MISSING}/text.txt"],
    "ner": ["task=ner", f"data.path={MISSING}/train.conll"],
    "classify": ["task=classify", f"data.path={MISSING}/labels.tsv"],
    "forecast": ["task=forecast", f"data.path={MISSING}/series.csv"],
}


def case(task: str, overrides: str, key: str, allowed: str = ""):
    """``overrides`` (space-separated) of ``task`` must fail naming ``key`` (and ``allowed``, if given)."""
    return pytest.param(task, overrides.split(), key, allowed, id=f"{task}:{overrides}")


TRAIN_CASES = [
    # model
    case("translation", "model.hidden_size=-5", "model.hidden_size", "-5; must be >= 1"),
    case("translation", "model.embedding_dim=0", "model.embedding_dim", ">= 1"),
    case("translation", "model.dropout=1.5", "model.dropout", "1.5; must be in [0, 1)"),
    case("translation", "model.encoder_layers=0", "model.encoder_layers", ">= 1"),
    case("translation", "model.decoder_hidden_size=0", "model.decoder_hidden_size", ">= 1 or null"),
    case("translation", "model.recurrent_dropout=-0.1", "model.recurrent_dropout", "in [0, 1)"),
    # optim, scheduler
    case("translation", "optim.lr=-1", "optim.lr", "> 0"),
    case("translation", "optim.lr=0", "optim.lr", "> 0"),
    case("translation", "optim.lr=nan", "optim.lr", "> 0"),
    case("translation", "optim.lr=inf", "optim.lr", "> 0"),
    case("translation", "optim.weight_decay=-0.01", "optim.weight_decay", ">= 0"),
    case("translation", "optim.betas=[0.9,1.5]", "optim.betas", "two numbers in [0, 1)"),
    case("translation", "optim=sgd optim.momentum=1.0", "optim.momentum", "in [0, 1)"),
    case("translation", "scheduler=plateau scheduler.factor=0", "scheduler.factor", "in (0, 1)"),
    case("translation", "scheduler=step scheduler.step_size=0", "scheduler.step_size", ">= 1"),
    case("translation", "scheduler.warmup_steps=-1", "scheduler.warmup_steps", ">= 0"),
    case("translation", "scheduler=plateau scheduler.patience=-1", "scheduler.patience", ">= 0"),
    case("translation", "scheduler=cosine optim.lr=0.001 scheduler.min_lr=0.01", "scheduler.min_lr", "below optim.lr"),
    # trainer
    case("translation", "trainer.accumulate_grad_batches=0", "trainer.accumulate_grad_batches", ">= 1"),
    case("translation", "trainer.gradient_clip_val=-1", "trainer.gradient_clip_val", ">= 0 or null"),
    case("translation", "trainer.max_steps=0", "trainer.max_steps", "-1 or >= 1"),
    case("translation", "trainer.max_steps=-2", "trainer.max_steps", "-1 or >= 1"),
    case("translation", "trainer.max_epochs=0", "trainer.max_epochs", "-1 or >= 1 or null"),
    case("translation", "trainer.val_check_interval=0", "trainer.val_check_interval", "(0, 1]"),
    case("translation", "trainer.val_check_interval=1.5", "trainer.val_check_interval", "(0, 1]"),
    case("translation", "trainer.check_val_every_n_epoch=null", "trainer.val_check_interval", "number of batches"),
    case("translation", "trainer.limit_train_batches=0", "trainer.limit_train_batches", ">= 1"),
    case("translation", "trainer.limit_val_batches=-1", "trainer.limit_val_batches", "[0, 1]"),
    case("translation", "trainer.limit_test_batches=1.5", "trainer.limit_test_batches", "[0, 1]"),
    case("translation", "trainer.log_every_n_steps=0", "trainer.log_every_n_steps", ">= 1"),
    case("translation", "trainer.devices=0", "trainer.devices", "a count >= 1"),
    case("translation", "trainer.accelerator=cpu trainer.devices=[0]", "trainer.devices", "trainer.devices=1"),
    case("translation", "trainer.num_nodes=0", "trainer.num_nodes", ">= 1"),
    case("translation", "trainer.max_time=90", "trainer.max_time", "DD:HH:MM:SS"),
    case("translation", "trainer.num_sanity_val_steps=-2", "trainer.num_sanity_val_steps", "-1 or >= 0"),
    case("translation", "trainer.min_epochs=5 trainer.max_epochs=2", "trainer.min_epochs", "max_epochs=2"),
    case("translation", "trainer.deterministic=sometimes", "trainer.deterministic", "true, false or warn"),
    case("translation", "trainer.accelerator=quantum", "trainer.accelerator", "auto | cpu"),
    case("translation", "trainer.precision=fp8", "trainer.precision", "32-true"),
    # callbacks, logger, loss, teacher forcing
    case("translation", "callbacks.early_stopping.patience=-1", "callbacks.early_stopping.patience", ">= 0"),
    case("translation", "callbacks.early_stopping.min_delta=-0.5", "callbacks.early_stopping.min_delta", ">= 0"),
    case("translation", "callbacks.checkpoint_every_n_steps=-1", "callbacks.checkpoint_every_n_steps", ">= 0"),
    case("translation", "logger.samples=-1", "logger.samples", ">= 0"),
    case("translation", "teacher_forcing.ratio=2", "teacher_forcing.ratio", "in [0, 1]"),
    case("translation", "teacher_forcing.k=0", "teacher_forcing.k", "> 0"),
    case("translation", "teacher_forcing.ratio=0.5 teacher_forcing.min_ratio=0.9", "teacher_forcing.min_ratio",
         "min_ratio<=0.5"),
    case("translation", "loss.label_smoothing=1.0", "loss.label_smoothing", "in [0, 1)"),
    case("translation", "loss.coverage_weight=-1", "loss.coverage_weight", ">= 0"),
    # decoding (test-after-fit)
    case("translation", "decoding.beam_size=0", "decoding.beam_size", ">= 1"),
    case("translation", "decoding.n_best=6", "decoding.n_best", "beam_size=5"),
    case("translation", "decoding.max_len_cap=0", "decoding.max_len_cap", ">= 1"),
    case("translation", "decoding.top_p=1.5", "decoding.top_p", "in (0, 1]"),
    case("translation", "decoding.val_beam_size=0", "decoding.val_beam_size", ">= 1"),
    case("translation", "decoding.no_repeat_ngram=-1", "decoding.no_repeat_ngram", ">= 0"),
    # data, tokenizer, top-level
    case("translation", "data.limit=0", "data.limit", ">= 1 or null"),
    case("translation", "data.batch_size=0", "data.batch_size", ">= 1"),
    case("translation", "data.eval_batch_size=0", "data.eval_batch_size", ">= 1"),
    case("translation", "data.num_workers=-1", "data.num_workers", ">= 0"),
    case("translation", "data.max_len=0", "data.max_len", ">= 1"),
    case("translation", "data.min_len=50 data.max_len=10", "data.min_len", "max_len=10"),
    case("translation", "data.valid_size=-0.1", "data.valid_size", "a fraction in [0, 1)"),
    case("translation", "data.valid_size=1.5", "data.valid_size", "a whole count >= 1"),
    case("translation", "data.valid_size=0.6 data.test_size=0.5", "data.valid_size", "leaves no rows for training"),
    case("translation", "data.src_col=1 data.tgt_col=1", "data.src_col", "must differ"),
    case("translation", "tokenizer.min_freq=0", "tokenizer.min_freq", ">= 1"),
    case("translation", "tokenizer.max_size=3", "tokenizer.max_size", ">= 5 or null"),
    case("translation", "tokenizer=sentencepiece tokenizer.character_coverage=0", "tokenizer.character_coverage",
         "in (0, 1]"),
    case("translation", "+tokenizer.target.min_freq=0", "tokenizer.target.min_freq", ">= 1"),
    case("translation", "seed=-1", "seed", "in [0, 4294967295]"),
    # the other tasks' own sections
    case("lm", "data.bptt=0", "data.bptt", ">= 1"),
    case("lm", "data.bptt_backprop=0", "data.bptt_backprop", ">= 1"),
    case("lm", "data.valid_size=0", "data.valid_size", "a fraction in (0, 1)"),
    case("lm", "data.limit=0", "data.limit", ">= 1 or null"),
    case("lm", "model.num_layers=0", "model.num_layers", ">= 1"),
    case("lm", "model.dropout=1.0", "model.dropout", "in [0, 1)"),
    case("lm", "decoding.temperature=-1", "decoding.temperature", ">= 0"),
    case("lm", "decoding.length=0", "decoding.length", ">= 1"),
    case("ner", "model.char_kernel=0", "model.char_kernel", ">= 1"),
    case("ner", "model.word_dropout=1", "model.word_dropout", "in [0, 1)"),
    case("ner", "model.casing_dim=-1", "model.casing_dim", ">= 0"),
    case("ner", "data.max_word_chars=0", "data.max_word_chars", ">= 1"),
    case("ner", "data.n_cols=1", "data.n_cols", ">= 2 or null"),
    case("ner", "data.char_min_freq=0", "data.char_min_freq", ">= 1"),
    case("ner", "data.token_col=1 data.tag_col=1", "data.token_col", "must differ"),
    case("ner", "data.batch_size=0", "data.batch_size", ">= 1"),
    case("ner", "data.eval_batch_size=0", "data.eval_batch_size", ">= 1"),
    case("classify", "model.mlp_hidden=[64,0]", "model.mlp_hidden", "each >= 1"),
    case("classify", "model.mlp_dropout=1", "model.mlp_dropout", "in [0, 1)"),
    case("classify", "data.text_col=-1", "data.text_col", "a column index >= 0"),
    case("classify", "data.max_len=0", "data.max_len", ">= 1 or null"),
    case("classify", "data.test_size=-1", "data.test_size", "a fraction in [0, 1)"),
    case("classify", "data.batch_size=0", "data.batch_size", ">= 1"),
    case("forecast", "data.window=0", "data.window", ">= 1"),
    case("forecast", "data.horizon=0", "data.horizon", ">= 1"),
    case("forecast", "data.stride=0", "data.stride", ">= 1"),
    case("forecast", "data.season=100", "data.season", "data.window=72"),
    case("forecast", "data.train_size=0", "data.train_size", "a fraction in (0, 1)"),
    case("forecast", "data.valid_size=0", "data.valid_size", "a fraction in (0, 1)"),
    case("forecast", "data.train_size=0.8 data.valid_size=0.15 data.test_size=0.15", "data.train_size",
         "leaves no rows"),
    case("forecast", "model.hidden_size=0", "model.hidden_size", ">= 1"),
    case("forecast", "model.dropout=-0.1", "model.dropout", "in [0, 1)"),
    case("chatbot", "data.context_turns=0", "data.context_turns", ">= 1"),
    case("chatbot", "data.valid_limit=0", "data.valid_limit", ">= 1 or null"),
    case("chatbot", "data.limit=0", "data.limit", ">= 1 or null"),
    case("chatbot", "tokenizer.vocab_size=2", "tokenizer.vocab_size", ">= 5"),
    # what this machine cannot run (checked by train before the data, not by validation)
    *([] if torch.cuda.is_available() else [
        case("translation", "trainer.accelerator=gpu", "trainer.accelerator=gpu", "use trainer.accelerator=cpu"),
        case("translation", "trainer.precision=16-mixed", "trainer.precision=16-mixed", "bf16-mixed"),
        case("translation", "trainer.devices=[0]", "trainer.devices", "trainer.devices=1"),
    ]),
]


def assert_one_line(err: BaseException, key: str, allowed: str) -> None:
    message = str(err)
    assert "\n" not in message and key in message, message
    assert allowed in message, message


@pytest.mark.parametrize(("task", "overrides", "key", "allowed"), TRAIN_CASES)
def test_train_refuses_bad_values_before_reading_data(tmp_path, task, overrides, key, allowed):
    from seq2seq.train import train

    run_dir = tmp_path / "run"
    cfg = compose_cfg("train", [*TASKS[task], f"paths.output_dir={run_dir}", f"paths.cache_dir={tmp_path / 'cache'}",
                                *overrides])
    with pytest.raises(ConfigError) as err:
        train(cfg)  # the data path does not exist: only validation can have raised a ConfigError
    assert_one_line(err.value, key, allowed)
    assert not run_dir.exists() and not (tmp_path / "cache").exists()


def test_beam_size_zero_is_a_beam_size_problem_not_an_n_best_one():
    from seq2seq.decoding_config import validate_decoding

    with pytest.raises(ConfigError) as err:
        validate_decoding({"beam_size": 0})
    assert "beam_size" in str(err.value) and "n_best" not in str(err.value)


def cli_case(command: str, overrides: str, key: str, allowed: str = ""):
    return pytest.param(command, overrides.split(), key, allowed, id=f"{command}:{overrides}")


CUDA = torch.cuda.is_available()
CLI_CASES = [
    cli_case("predict", "decoding.beam_size=0", "decoding.beam_size", ">= 1"),
    cli_case("predict", "decoding.top_k=-1", "decoding.top_k", ">= 0"),
    cli_case("predict", "decoding.max_len_ratio=-1", "decoding.max_len_ratio", ">= 0"),
    cli_case("predict", "decoding.batch_size=0", "decoding.batch_size", ">= 1"),
    cli_case("predict", "decoding.n_best=9", "decoding.n_best", "beam_size=5"),
    cli_case("predict", "decoding.seed=-3", "decoding.seed", "or null"),
    cli_case("predict", "format=xml", "format", "text or json"),
    cli_case("predict", "device=gpu", "device", "auto, cpu, cuda"),
    cli_case("predict", "data.on_error=maybe", "data.on_error", "error, skip"),
    cli_case("evaluate", "split=dev", "split", "train, valid, test"),
    cli_case("evaluate", "decoding.min_len=-1", "decoding.min_len", ">= 0"),
    cli_case("evaluate", "decoding.alpha=-0.5", "decoding.alpha", ">= 0"),
    cli_case("evaluate", "device=cuda:x", "device", "cuda:<index>"),
    cli_case("evaluate", "data.on_missing=zero", "data.on_missing", "error, ffill"),
    cli_case("chat", "context_turns=0", "context_turns", ">= 1 or null"),
    cli_case("chat", "decoding.temperature=-1", "decoding.temperature", ">= 0"),
    cli_case("chat", "decoding.top_p=0", "decoding.top_p", "in (0, 1]"),
    *([] if CUDA else [cli_case("predict", "device=cuda", "device=cuda", "use device=cpu"),
                       cli_case("chat", "device=cuda:0", "device=cuda:0", "use device=cpu")]),
]


def command_function(command: str):
    import seq2seq.chat
    import seq2seq.evaluate
    import seq2seq.predict

    return {"predict": seq2seq.predict.predict, "evaluate": seq2seq.evaluate.evaluate, "chat": seq2seq.chat.chat}[command]


@pytest.mark.parametrize(("command", "overrides", "key", "allowed"), CLI_CASES)
def test_checkpoint_commands_refuse_bad_options_before_loading(tmp_path, command, overrides, key, allowed):
    outputs = {"predict": [f"output={tmp_path / 'out.txt'}"], "evaluate": [f"output_dir={tmp_path / 'eval'}"],
               "chat": []}[command]
    cfg = compose_cfg(command, [f"ckpt_path={MISSING}/best.ckpt", *outputs, *overrides])
    with pytest.raises(ConfigError) as err:
        command_function(command)(cfg)  # the checkpoint does not exist: validation raised first
    assert_one_line(err.value, key, allowed)
    assert list(tmp_path.iterdir()) == []


PREPARE_CASES = [
    cli_case("prepare", "data.limit=0", "data.limit", ">= 1 or null"),
    cli_case("prepare", "prepare.chunk_pairs=0", "prepare.chunk_pairs", ">= 1"),
    cli_case("prepare", "prepare.sentencepiece_sample_pairs=-1", "prepare.sentencepiece_sample_pairs", ">= 1"),
    cli_case("prepare", "data.max_len=0", "data.max_len", ">= 1"),
    cli_case("prepare", "data.min_len=9 data.max_len=3", "data.min_len", "max_len=3"),
    cli_case("prepare", "tokenizer=sentencepiece tokenizer.vocab_size=2", "tokenizer.vocab_size", ">= 5"),
    cli_case("prepare", "data.test_size=0.7 data.valid_size=0.3", "data.valid_size", "leaves no rows"),
]


@pytest.mark.parametrize(("command", "overrides", "key", "allowed"), PREPARE_CASES)
def test_prepare_refuses_bad_values_before_reading_the_corpus(tmp_path, command, overrides, key, allowed):
    from seq2seq.prepare import prepare

    out = tmp_path / "prepared"
    cfg = compose_cfg("prepare", [f"data.path={MISSING}/pairs.tsv", f"data.prepared={out}", *overrides])
    with pytest.raises(ConfigError) as err:
        prepare(cfg)
    assert_one_line(err.value, key, allowed)
    assert not out.exists()


@pytest.mark.parametrize(("line", "key"), [
    ("/set beam_size 0", "decoding.beam_size"),
    ("/set temperature -1", "decoding.temperature"),
    ("/set top_p 2", "decoding.top_p"),
    ("/set max_len_cap 0", "decoding.max_len_cap"),
    ("/set temperature [", "/set temperature"),
    ("/set beam_width 3", "beam_width"),
])
def test_chat_set_refuses_bad_values_and_the_chat_goes_on(capsys, line, key):
    from seq2seq.chat import ChatSession, run_command
    from seq2seq.config import DecodingConfig
    from seq2seq.decoding_config import validate_decoding

    session = ChatSession.__new__(ChatSession)  # /set only touches the decoding settings
    session.decoding = validate_decoding({"n_best": 1})
    before = dict(session.decoding)
    assert run_command(session, line) is True
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and key in err, err
    assert session.decoding == before
    assert set(before) == {f.name for f in DecodingConfig.__dataclass_fields__.values()}


@pytest.mark.parametrize("overrides", [
    "model.dropout=0 model.recurrent_dropout=0 loss.label_smoothing=0",
    "trainer.max_steps=-1 trainer.max_epochs=-1",
    "trainer.max_epochs=null trainer.max_steps=1",
    "trainer.gradient_clip_val=null",
    "trainer.gradient_clip_val=0",
    "trainer.val_check_interval=1 trainer.check_val_every_n_epoch=null",
    "trainer.val_check_interval=0.25",
    "trainer.val_check_interval=00:00:10:00 trainer.check_val_every_n_epoch=null",
    "trainer.limit_val_batches=0 trainer.limit_test_batches=0.0 trainer.limit_train_batches=1.0",
    "trainer.num_sanity_val_steps=-1 trainer.deterministic=warn trainer.accelerator=cpu trainer.devices=2",
    "trainer.max_time=00:00:01:00 trainer.min_epochs=3 trainer.max_epochs=3",
    "data.limit=1 data.valid_size=0 data.test_size=20",
    "data.min_len=0 data.max_len=1 data.valid_size=0.5 data.test_size=0.49",
    "teacher_forcing.ratio=0 teacher_forcing.min_ratio=0",
    "teacher_forcing.ratio=1 teacher_forcing.min_ratio=1",
    "decoding.top_p=1 decoding.temperature=0 decoding.top_k=0 decoding.seed=0 decoding.min_len=0",
    "decoding.beam_size=1 decoding.n_best=1 decoding.max_len_ratio=0 decoding.max_len_extra=0",
    "seed=0 optim.lr=1e-9 optim.betas=[0,0.999] optim.weight_decay=0",
    "seed=4294967295 tokenizer.max_size=5 tokenizer.min_freq=1",
])
def test_values_at_the_edges_of_the_ranges_are_accepted(overrides):
    from seq2seq.train_config import validate_train_config

    cfg = validate_train_config(compose_cfg("train", [*TASKS["translation"], "paths.output_dir=/tmp/unused",
                                                      "paths.cache_dir=null", *overrides.split()]))
    for override in overrides.split():
        key, value = override.split("=", 1)
        section, _, name = key.rpartition(".")
        got = cfg[section][name] if section else cfg[name]
        assert typed_as(got, value), (key, got)


def typed_as(got, typed: str) -> bool:
    """The validated value is the one typed on the command line (same number, list, word or null)."""
    if got == yaml.safe_load(typed) or str(got) == typed:
        return True
    try:
        return float(got) == float(typed)
    except (TypeError, ValueError):
        return False


@pytest.mark.parametrize("overrides", [
    "task=lm data.valid_size=1 data.test_size=1 decoding.temperature=0",
    "task=forecast data.train_size=0.7 data.valid_size=0.15 data.test_size=0.15 data.season=72",
    "task=ner data.token_col=0 data.tag_col=-1 model.casing_dim=0 data.n_cols=2",
    "task=classify data.text_col=0 data.label_col=1 model.mlp_hidden=[1]",
])
def test_other_tasks_accept_their_edge_values(overrides):
    from seq2seq.train_config import validate_train_config

    task = overrides.split()[0].split("=")[1]
    validate_train_config(compose_cfg("train", [*TASKS[task], "paths.output_dir=/tmp/unused", "paths.cache_dir=null",
                                                *overrides.split()[1:]]))


def test_inference_commands_accept_edge_values():
    from seq2seq.decoding_config import (
        validate_chat_config,
        validate_evaluate_config,
        validate_predict_config,
    )

    validate_predict_config(compose_cfg("predict", ["ckpt_path=x.ckpt", "device=cpu", "format=json",
                                                    "decoding.temperature=0", "data.on_error=skip"]))
    validate_evaluate_config(compose_cfg("evaluate", ["ckpt_path=x.ckpt", "split=valid", "data.on_missing=ffill"]))
    validate_chat_config(compose_cfg("chat", ["ckpt_path=x.ckpt", "context_turns=1"]))


# -- what the user sees: one subprocess per command --------------------------------------------------------
@pytest.mark.parametrize(("module", "args", "expected"), [
    ("seq2seq.train", ["model.hidden_size=-5", f"data.path={MISSING}/pairs.tsv"],
     "error: bad value for 'model.hidden_size': -5; must be >= 1"),
    ("seq2seq.predict", [f"ckpt_path={MISSING}/best.ckpt", "decoding.beam_size=0"],
     "error: bad value for 'decoding.beam_size': 0; must be >= 1"),
    ("seq2seq.prepare", [f"data.path={MISSING}/pairs.tsv", "data.prepared=prepared", "data.limit=0"],
     "error: bad value for 'data.limit': 0; must be >= 1 or null"),
    ("seq2seq.chat", [f"ckpt_path={MISSING}/best.ckpt", "device=cuda"] if not CUDA else
     [f"ckpt_path={MISSING}/best.ckpt", "context_turns=0"],
     "error: device=cuda: CUDA is not available on this machine; use device=cpu (or auto)" if not CUDA else
     "error: bad value for 'context_turns': 0; must be >= 1 or null"),
])
def test_cli_prints_one_error_line_and_exits_2(tmp_path, module, args, expected):
    extra = [f"hydra.run.dir={tmp_path / 'run'}", f"paths.cache_dir={tmp_path / 'cache'}"] \
        if module == "seq2seq.train" else []
    result = run_cli(module, [*args, *extra], cwd=tmp_path, stdin="")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == expected, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    trusted = [p for p in tmp_path.rglob("*") if p.name in ("config.yaml", "metrics.json") and ".hydra" not in p.parts
               or p.suffix in (".ckpt", ".npy") or p.name == "prepared"]
    assert trusted == [] and not (tmp_path / "cache").exists(), os.listdir(tmp_path)


# -- the fixes that messages suggest work in the command that prints them ------------------------------------
def test_evaluate_takes_the_reader_keys_its_readers_suggest(tmp_path):
    from types import SimpleNamespace

    from seq2seq.decoding_config import apply_reader_overrides, validate_evaluate_config

    cfg = validate_evaluate_config(compose_cfg("evaluate", ["ckpt_path=x.ckpt", "data.on_error=skip",
                                                            f"data.path={tmp_path / 'moved.tsv'}"]))
    predictor = SimpleNamespace(config={"data": {"kind": "parallel", "path": "/old.tsv", "on_error": "error"}})
    apply_reader_overrides(predictor, cfg["data"])
    assert predictor.config["data"] == {"kind": "parallel", "path": str(tmp_path / "moved.tsv"), "on_error": "skip"}
    series = SimpleNamespace(config={"data": {"kind": "csv_series", "on_missing": "error"}},
                             spec={"on_missing": "error"})  # a forecast predictor reads its spec
    apply_reader_overrides(series, {"on_missing": "ffill"})
    assert series.config["data"]["on_missing"] == series.spec["on_missing"] == "ffill"
    with pytest.raises(ConfigError, match=r"data\.on_missing does not apply .* data\.kind=parallel"):
        apply_reader_overrides(predictor, {"on_missing": "ffill"})


def test_evaluate_names_input_not_data_path_for_a_missing_input_file(tmp_path):
    from seq2seq.errors import DataError
    from seq2seq.evaluate import evaluate

    cfg = compose_cfg("evaluate", [f"ckpt_path={MISSING}/best.ckpt", f"input={tmp_path / 'gone.tsv'}",
                                   f"output_dir={tmp_path / 'eval'}"])
    with pytest.raises(DataError, match=r"gone\.tsv: no such file; pass input=") as err:
        evaluate(cfg)
    assert "data.path" not in str(err.value) and not (tmp_path / "eval").exists()


@pytest.mark.parametrize(("overrides", "offered", "not_offered"), [
    (["trainer.gradient_clip_val=1.0"], "loss.on_nonfinite=skip", "gradient_clip_val"),
    (["loss.on_nonfinite=skip", "trainer.gradient_clip_val=null"], "trainer.gradient_clip_val=1.0", "on_nonfinite"),
    (["trainer.gradient_clip_val=1.0", "trainer.strategy=ddp"], "optim.lr", "on_nonfinite"),
])
def test_non_finite_loss_errors_offer_only_fixes_the_run_can_apply(overrides, offered, not_offered):
    from types import SimpleNamespace

    from seq2seq.tasks.base import BaseTask
    from seq2seq.train_config import validate_train_config

    run_config = validate_train_config(compose_cfg("train", [*TASKS["translation"], "paths.output_dir=unused",
                                                             "paths.cache_dir=null", *overrides]))
    module = SimpleNamespace(run_config=run_config, hparams=SimpleNamespace(optim={"lr": 0.001}))
    fix = BaseTask._nonfinite_fix(module)
    assert offered in fix and not_offered not in fix, fix


# Numbers every value of which is meaningful: seeds of random.Random, CoNLL columns counted from either end.
UNBOUNDED = {"split_seed", "token_col", "tag_col"}


def test_every_numeric_key_of_every_schema_declares_its_range():
    import dataclasses
    import typing

    from seq2seq import config
    from seq2seq.bench.config import BenchConfig
    from seq2seq.prepare import PrepareConfig
    from seq2seq.train_config import train_sections

    sections = train_sections()
    schemas = {*sections["data"].values(), *sections["model"].values(), config.EarlyStoppingConfig,
               BenchConfig, PrepareConfig, *(s for s in sections.values() if isinstance(s, type))}
    unranged = []
    for schema in schemas:
        hints = typing.get_type_hints(schema)
        for f in dataclasses.fields(schema):
            kinds = typing.get_args(hints[f.name]) or (hints[f.name],)
            numeric = int in kinds or float in kinds or hints[f.name] is typing.Any
            if numeric and "range" not in f.metadata and f.name not in UNBOUNDED:
                unranged.append(f"{schema.__name__}.{f.name}")
    assert unranged == []


@pytest.mark.parametrize(("override", "key", "allowed"), [
    ("bench.window=0", "bench.window", ">= 1"),
    ("bench.train_pairs=0", "bench.train_pairs", ">= 1 or null"),
    ("bench.force_len=-1", "bench.force_len", ">= 0"),
    ("model.hidden_size=0", "model.hidden_size", ">= 1"),
])
def test_bench_validates_like_train(override, key, allowed):
    from seq2seq.bench.config import split_config

    with pytest.raises(ConfigError) as err:
        split_config(compose_cfg("bench", ["paths.output_dir=/tmp/unused", "paths.cache_dir=null", override]))
    assert_one_line(err.value, key, allowed)
