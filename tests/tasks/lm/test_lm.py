"""Language model task: text preparation, stream batching and DDP sharding, truncated BPTT (state carried
and detached), generation, and train → evaluate/predict from the checkpoint alone."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import LM_TEXT as TEXT
from conftest import ROOT, compose_cfg, lm_overrides, model_from_schema

from seq2seq.data.text.datamodule import TextDataModule
from seq2seq.data.text.preparation import (
    normalize_lm_text,
    prepare_text,
    read_text_file,
    split_text,
    training_chunks,
)
from seq2seq.data.text.prompts import escape_newlines, normalize_prompt, sample_prompts, unescape_newlines
from seq2seq.data.text.streams import StreamWindows
from seq2seq.errors import ConfigError, DataError
from seq2seq.models.lm import NEVER_GENERATED, RNNLanguageModel, generate
from seq2seq.models.tbptt import CarriedState
from seq2seq.tasks.lm.config import LMModelConfig
from seq2seq.tasks.lm.module import LanguageModelTask
from seq2seq.tokenizers import BOS, PAD
from seq2seq.train_config import validate_train_config

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py

PATHS = ["paths.output_dir=unused", "paths.cache_dir=null"]


def tiny_task(vocab: int = 12, cell: str = "lstm", layers: int = 2, backprop: int = 1) -> LanguageModelTask:
    model = {"kind": "lm", "cell": cell, "embedding_dim": 6, "hidden_size": 8, "num_layers": layers,
             "dropout": 0.0, "tie_weights": False, "rnn_nonlinearity": "tanh", "cell_impl": "builtin",
             "recurrent_dropout": 0.0, "layer_norm": False}
    optim = {"name": "adam", "lr": 1e-3, "weight_decay": 0.0, "betas": [0.9, 0.999], "momentum": 0.0}
    torch.manual_seed(0)
    return LanguageModelTask(model, optim, {"name": "none"}, {}, {"samples": 0}, vocab, backprop)


def stream_ids(n: int, vocab: int = 12, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(4, vocab, size=n).astype(np.int32)


# -- text preparation ---------------------------------------------------------------------------------------
def test_normalisation_keeps_newlines_and_folds_spaces_only():
    raw = "\ufeffCafe\u0301  au\tlait \r\n\r\n  second\u00a0line\rthird"
    assert normalize_lm_text(raw) == "Café au lait\n\nsecond line\nthird"
    assert normalize_lm_text(raw, whitespace="keep") == "Café  au\tlait \n\n  second\u00a0line\nthird"
    assert normalize_lm_text(raw, whitespace="flatten", lowercase=True) == "café au lait second line third"


def test_split_is_contiguous_in_text_order_at_line_starts():
    text = "".join(f"line number {i:03d} of the text\n" for i in range(200))
    parts = split_text(text, 0.1, 20 * 27)
    assert parts["train"] + parts["valid"] + parts["test"] == text
    assert parts["valid"].startswith("line number") and parts["test"].startswith("line number")
    assert abs(len(parts["valid"]) - 0.1 * len(text)) < 60 and abs(len(parts["test"]) - 540) < 60
    with pytest.raises(ConfigError, match="leaving no training text"):
        split_text(text, 0.5, 0.5)


def test_undecodable_line_names_file_and_line_or_is_skipped_and_counted(tmp_path, caplog):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good line\nalso good\nbad \xff byte\nlast\n")
    with pytest.raises(DataError, match=r"bad\.txt:3: not valid UTF-8.*data\.on_error=skip"):
        read_text_file(path)
    caplog.set_level("INFO")
    assert read_text_file(path, "skip") == "good line\nalso good\nlast\n"
    assert "dropped 1 lines" in caplog.text


def test_sentencepiece_text_keeps_newlines_and_converts_to_bits_per_character(tmp_path):
    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT * 30, encoding="utf-8")
    overrides = ["task=lm", f"data.path={corpus}", "tokenizer=sentencepiece", "tokenizer.vocab_size=120",
                 *PATHS]
    cfg = validate_train_config(compose_cfg("train", overrides))
    prepared = prepare_text(cfg["data"], cfg["tokenizer"], None)
    valid = prepared.splits["valid"]
    assert prepared.tokenizer.decode(valid.ids.tolist()) == valid.text and "\n" in valid.text
    assert 0.1 < valid.tokens_per_char < 1.0
    assert valid.bits_per_char(2.0) == pytest.approx(2.0 * len(valid.ids) / len(valid.text) / math.log(2))
    assert all(len(c) <= 2000 for c in training_chunks("word " * 3000))
    assert "".join(training_chunks(TEXT)) == TEXT


# -- stream batching ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, rows, bptt", [(103, 4, 7), (96, 4, 8), (50, 5, 100)])
def test_every_token_is_a_target_once_per_epoch_in_order_within_each_row(n, rows, bptt):
    ids = stream_ids(n)
    windows = StreamWindows(ids, rows, bptt)
    batches = [windows[j] for j in range(len(windows))]
    assert all(b["input"].shape == b["target"].shape and b["input"].size(0) == rows for b in batches)
    target = torch.cat([b["target"] for b in batches], dim=1)
    inputs = torch.cat([b["input"] for b in batches], dim=1)
    rows_tokens = [t[t != PAD] for t in target]
    assert torch.equal(torch.cat(rows_tokens), torch.from_numpy(ids.astype(np.int64)))  # once, in order
    assert max(len(r) for r in rows_tokens) - min(len(r) for r in rows_tokens) <= 1
    for r, tokens in enumerate(rows_tokens):  # input = <bos>, then the previous token of the same row
        assert inputs[r, 0] == BOS and torch.equal(inputs[r, 1 : len(tokens)], tokens[:-1])
    assert bool((target[inputs == PAD] == PAD).all()), "a padding input precedes a real target"
    assert windows.tokens == n


@pytest.mark.parametrize("world", [2, 3])
def test_ddp_ranks_get_their_own_streams_and_the_same_number_of_batches(world):
    ids = stream_ids(1001)
    ranks = [StreamWindows(ids, 4, 16, world_size=world, rank=k) for k in range(world)]
    assert len({len(w) for w in ranks}) == 1
    per_rank = []
    for w in ranks:
        target = torch.cat([w[j]["target"] for j in range(len(w))], dim=1)
        per_rank.append(torch.cat([t[t != PAD] for t in target]))
    assert torch.equal(torch.cat(per_rank), torch.from_numpy(ids.astype(np.int64)))  # disjoint, complete
    assert sum(w.tokens for w in ranks) == len(ids)
    with pytest.raises(DataError, match="fewer than its 12 streams"):
        StreamWindows(ids[:10], 4, 16, world_size=3, rank=0, name="valid")


# -- truncated BPTT -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell, backprop", [("lstm", 1), ("gru", 1), ("lstm", 3)])
def test_windows_with_carried_state_equal_one_forward_over_the_whole_stream(cell, backprop):
    task = tiny_task(cell=cell, backprop=backprop).double().eval()
    windows = StreamWindows(stream_ids(203), rows=3, bptt=9)
    carried = task.streams["train"]
    total = torch.zeros((), dtype=torch.float64)
    for j in range(len(windows)):  # the training step's own code path
        nll, _ = task.window_nll(carried, windows[j])
        total += nll.detach()
    logits, _ = task.model(windows.input)  # one pass over the concatenated streams, zero initial state
    full = F.cross_entropy(logits.flatten(0, 1), windows.target.flatten(), ignore_index=PAD, reduction="sum")
    assert len(windows) == 8 and abs(float(total) - float(full.detach())) < 1e-5


def _embedding_grad_after_window2(backprop: int) -> tuple[torch.Tensor, CarriedState]:
    """Window 1 uses tokens 4-7 only, window 2 tokens 8-11 only: an embedding row of tokens 4-7 can get a
    gradient from window 2's loss only through the state carried from window 1."""
    task = tiny_task(backprop=backprop)
    carried = CarriedState(backprop)
    w1 = torch.randint(4, 8, (2, 5), generator=torch.Generator().manual_seed(1))
    w2 = torch.randint(8, 12, (2, 5), generator=torch.Generator().manual_seed(2))
    carried(task.model, w1).sum().backward()
    task.model.zero_grad()
    carried(task.model, w2).logsumexp(-1).sum().backward()
    return task.model.embedding.weight.grad, carried


def test_state_is_detached_between_windows_and_backprop_windows_extends_the_graph():
    grad, carried = _embedding_grad_after_window2(backprop=1)
    assert all(s.grad_fn is None and not s.requires_grad for s in carried.state)
    assert torch.count_nonzero(grad[4:8]) == 0 and torch.count_nonzero(grad[8:12]) > 0
    grad, _ = _embedding_grad_after_window2(backprop=2)  # TBPTT(k1=5, k2=10): window 1 is re-run
    assert torch.count_nonzero(grad[4:8]) > 0


def test_state_is_reset_at_epoch_start_and_rows_must_match():
    task = tiny_task()
    carried = task.streams["train"]
    carried(task.model, torch.randint(4, 12, (2, 5)))
    assert carried.state is not None
    task.on_train_epoch_start()
    assert carried.state is None and carried.history == []
    carried(task.model, torch.randint(4, 12, (2, 5)))
    with pytest.raises(ValueError, match="3 rows but the carried state 2"):
        carried(task.model, torch.randint(4, 12, (3, 5)))


class StateProbe(L.Callback):
    """Records before every training batch whether the module holds a carried state (always detached)."""

    def __init__(self):
        self.seen: list[tuple[int, bool]] = []

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        state = module.streams["train"].state
        assert state is None or all(s.grad_fn is None for s in state)
        self.seen.append((batch_idx, state is not None))


def test_training_loop_carries_state_within_an_epoch_and_resets_it_at_epoch_start(tmp_path):
    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT * 4, encoding="utf-8")
    cfg = validate_train_config(compose_cfg("train", lm_overrides(tmp_path, corpus, "data.cache=false")))
    datamodule = TextDataModule(cfg["data"], cfg["tokenizer"], None)
    datamodule.setup("fit")
    module = LanguageModelTask.from_config(cfg, datamodule)
    probe = StateProbe()
    trainer = L.Trainer(accelerator="cpu", devices=1, max_epochs=2, limit_train_batches=3,
                        limit_val_batches=0, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, use_distributed_sampler=False,
                        gradient_clip_val=0.5, callbacks=[probe])
    trainer.fit(module, datamodule=datamodule)
    assert probe.seen == [(0, False), (1, True), (2, True)] * 2


# -- model and generation -----------------------------------------------------------------------------------
def test_weight_tying_shares_the_embedding_matrix():
    tied = model_from_schema(RNNLanguageModel, LMModelConfig, 20, cell="gru", embedding_dim=8, hidden_size=8,
                             num_layers=1, dropout=0.0, tie_weights=True)
    assert tied.output.weight is tied.embedding.weight and tied.projection is None
    projected = model_from_schema(RNNLanguageModel, LMModelConfig, 20, cell="lstm", embedding_dim=8, hidden_size=16,
                                  num_layers=2, dropout=0.0, tie_weights=True)
    logits, (h, c) = projected(torch.randint(4, 20, (3, 5)))
    assert projected.output.weight is projected.embedding.weight and logits.shape == (3, 5, 20)
    assert h.shape == c.shape == (2, 3, 16)


def test_generation_is_reproducible_with_a_seed_and_greedy_at_temperature_zero():
    torch.manual_seed(0)
    model = model_from_schema(RNNLanguageModel, LMModelConfig, 30, cell="lstm", embedding_dim=8, hidden_size=16,
                              num_layers=2, dropout=0.0).eval()
    prompt = torch.tensor([[BOS, 5, 6, 7], [BOS, 9, 9, 9]])

    def draw(seed, **kw):
        return generate(model, prompt, 25, generator=torch.Generator().manual_seed(seed), **kw)[0]

    a, b, c = draw(11, top_p=0.95), draw(11, top_p=0.95), draw(12, top_p=0.95)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert not bool(torch.isin(a, torch.tensor(NEVER_GENERATED)).any())
    greedy, state, tokens = [], None, prompt
    for _ in range(25):  # argmax decoding by hand, specials excluded
        logits, state = model(tokens, state)
        logits = logits[:, -1].clone()
        logits[:, list(NEVER_GENERATED)] = float("-inf")
        tokens = logits.argmax(-1, keepdim=True)
        greedy.append(tokens)
    assert torch.equal(draw(1, temperature=0.0), torch.cat(greedy, dim=1))
    assert torch.equal(draw(1, temperature=0.0), draw(2, temperature=0.0, top_k=3))


def test_prompt_lines_escape_newlines_and_keep_a_trailing_space():
    text = "a\\b\nc"
    assert escape_newlines(text) == "a\\\\b\\nc" and unescape_newlines(escape_newlines(text)) == text
    data = {"normalize": "nfc", "lowercase": False, "whitespace": "fold"}
    assert normalize_prompt("Alice  was ", data) == "Alice was "
    assert normalize_prompt("Alice\tsaid\n  then", data) == "Alice said\nthen"
    assert sample_prompts(TEXT, 2) == ["Alice was beginning", "So she was"]


# -- configuration ------------------------------------------------------------------------------------------
def test_task_bundle_validates_and_errors_name_the_key():
    cfg = validate_train_config(compose_cfg("train", ["task=lm", *PATHS]))
    assert cfg["task"]["monitor"] == "val/bpc" and cfg["task"]["mode"] == "min"
    assert cfg["data"]["kind"] == "text" and cfg["model"]["kind"] == "lm"
    assert cfg["data"]["path"].endswith("data/lm-sample.txt") and Path(cfg["data"]["path"]).is_file()
    with pytest.raises(ConfigError, match="'data.whitespace'.*fold, keep, flatten"):
        validate_train_config(compose_cfg("train", ["task=lm", "data.whitespace=squash", *PATHS]))
    with pytest.raises(ConfigError, match="did you mean 'bptt'"):
        validate_train_config(compose_cfg("train", ["task=lm", "+data.bpt=5", *PATHS]))


def test_embedded_text_is_what_its_generator_writes(tmp_path):
    out = tmp_path / "lm.txt"
    script = ROOT / "data" / "generate_lm_text.py"
    subprocess.run([sys.executable, str(script), "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (ROOT / "data" / "lm-sample.txt").read_bytes()


# -- end to end ---------------------------------------------------------------------------------------------
def run_cli(module: str, args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", module, *args], check=False, cwd=cwd, input=stdin,
                          capture_output=True, text=True, env=env, timeout=300)



@pytest.mark.slow
def test_train_then_evaluate_and_predict_from_the_checkpoint_alone(tmp_path):
    from seq2seq.train import train

    corpus = tmp_path / "alice.txt"
    corpus.write_text(TEXT * 12, encoding="utf-8")
    metrics = train(compose_cfg("train", lm_overrides(tmp_path, corpus)))
    assert metrics["monitor"] == "val/bpc" and metrics["objective"] < math.log2(40)
    # char tokenizer: one token per character, so bits per character = loss / ln 2
    assert metrics["test/bpc"] == pytest.approx(metrics["test/loss"] / math.log(2), rel=1e-5)
    assert metrics["test/ppl"] == pytest.approx(math.exp(metrics["test/loss"]), rel=1e-4)
    ckpt = tmp_path / "only.ckpt"
    shutil.copy(tmp_path / "run" / "checkpoints" / "best.ckpt", ckpt)
    assert torch.load(ckpt, weights_only=True)["seq2seq"]["kind"] == "lm"
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "run" / "tensorboard"), size_guidance={"tensors": 0}).Reload()
    assert {"train/loss", "train/bpc", "val/bpc", "val/ppl", "test/bpc"} <= set(acc.Tags()["scalars"])
    assert "val/samples/text_summary" in acc.Tags()["tensors"]
    shutil.rmtree(tmp_path / "run")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = [f"ckpt_path={ckpt}", f"output_dir={tmp_path / 'eval'}", "decoding=sample", "decoding.seed=3",
            "decoding.length=40"]
    result = run_cli("seq2seq.evaluate", args, elsewhere)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "eval" / "metrics.json").read_text())["metrics"]
    assert report["bpc"] == pytest.approx(metrics["test/bpc"], rel=1e-4)  # same split, same streams
    assert len((tmp_path / "eval" / "sample.txt").read_text(encoding="utf-8")) > 40
    args = [f"ckpt_path={ckpt}", "decoding=sample", "decoding.seed=7", "decoding.length=50"]
    first = run_cli("seq2seq.predict", [*args, "show_scores=true"], elsewhere, stdin="Alice was\n\nthe\\n\n")
    again = run_cli("seq2seq.predict", [*args, "show_scores=true"], elsewhere, stdin="Alice was\n\nthe\\n\n")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert first.stdout == again.stdout and len(lines) == 3
    assert lines[0].split("\t")[1].startswith("Alice was") and lines[2].split("\t")[1].startswith("the\\n")


@pytest.mark.slow
def test_sentencepiece_language_model_reports_bits_per_character(tmp_path):
    from seq2seq.train import train

    corpus = tmp_path / "alice.txt"
    corpus.write_text(TEXT * 12, encoding="utf-8")
    overrides = lm_overrides(tmp_path, corpus, "tokenizer=sentencepiece", "tokenizer.vocab_size=150",
                             "trainer.max_epochs=1")
    metrics = train(compose_cfg("train", overrides))
    cfg = validate_train_config(compose_cfg("train", overrides))
    datamodule = TextDataModule(cfg["data"], cfg["tokenizer"], cfg["paths"]["cache_dir"])
    datamodule.setup()
    test = datamodule.split("test")
    assert datamodule.tokenizer.kind == "sentencepiece" and test.tokens_per_char < 0.7
    expected = metrics["test/loss"] * test.tokens_per_char / math.log(2)
    assert metrics["test/bpc"] == pytest.approx(expected, rel=1e-5)


def train_loss_curve(run: Path) -> dict[int, float]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard")).Reload().Scalars("train/loss")
    return {e.step: e.value for e in events}


@pytest.mark.slow
def test_resuming_mid_epoch_continues_the_streams_and_the_loss_curve(tmp_path):
    """6 windows per epoch; run B stops after 4 (a mid-epoch checkpoint), run C resumes it up to step 10,
    across the epoch boundary. With the carried state (and the TBPTT history, bptt_backprop=2) restored
    and the first 4 windows skipped, C's losses equal those of the uninterrupted run A."""
    from seq2seq.train import train

    corpus = tmp_path / "alice.txt"
    corpus.write_text(TEXT * 12, encoding="utf-8")

    def run(name: str, *extra: str) -> Path:
        overrides = lm_overrides(tmp_path / name, corpus, "data.bptt_backprop=2", "model.dropout=0.3",
                                 "callbacks.early_stopping.enabled=false", "test_after_fit=false",
                                 "callbacks.checkpoint_every_n_steps=4", "logger.samples=0", *extra)
        train(compose_cfg("train", overrides))
        return tmp_path / name / "run"

    full = train_loss_curve(run("a", "trainer.max_steps=10"))
    stopped = run("b", "trainer.max_steps=4")
    ckpt = torch.load(stopped / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 4 and ckpt["seq2seq"]["tbptt"]["windows"] == 4
    resumed = train_loss_curve(run("c", "trainer.max_steps=10", f"ckpt_path={stopped}/checkpoints/last.ckpt"))
    assert sorted(resumed) == list(range(4, 10)) and sorted(full) == list(range(10))
    assert [resumed[s] for s in range(4, 10)] == [full[s] for s in range(4, 10)]
