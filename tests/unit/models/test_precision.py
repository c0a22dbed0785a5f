"""Mixed precision: the recurrence stays float32 under autocast; bf16-mixed training runs end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from conftest import compose_cfg, model_from_schema

from seq2seq.models.rnn import CellOptions, make_rnn
from seq2seq.models.seq2seq import Seq2SeqModel
from seq2seq.tasks.seq2seq.config import Seq2SeqModelConfig
from seq2seq.train import train


@pytest.mark.parametrize("impl", ["builtin", "reference"])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_recurrence_runs_in_float32_under_autocast(cell, impl, dtype):
    torch.manual_seed(0)
    rnn = make_rnn(cell, 6, 5, 2, 0.0, bidirectional=True, options=CellOptions(impl))
    x = torch.randn(3, 4, 6)
    expected, _ = rnn(x)
    with torch.autocast("cpu", dtype=dtype):  # CPU fp16 autocast would crash inside nn.LSTM
        out, state = rnn(x.to(dtype))
    assert out.dtype == torch.float32 and all(s.dtype == torch.float32 for s in (state if cell == "lstm" else (state,)))
    # Only the input's rounding to the low precision differs from the float32 run.
    assert torch.allclose(out, expected, atol=2e-2)


def test_seq2seq_under_bf16_autocast_keeps_rnn_weights_and_states_float32():
    torch.manual_seed(0)
    model = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, 11, 13, cell="lstm", embedding_dim=8, hidden_size=8,
                              encoder_layers=1, decoder_layers=1, attention="general", input_feed=True, dropout=0.0)
    src = torch.randint(4, 11, (2, 5))
    tgt = torch.randint(4, 13, (2, 4))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        source, state = model.encode(src, torch.tensor([5, 3]))
        logits, _ = model(src, torch.tensor([5, 3]), tgt)
    assert source.memory.dtype == torch.float32 and state.hidden[0].dtype == torch.float32
    logits.float().sum().backward()
    assert model.decoder.rnn.weight_hh_l0.grad.dtype == torch.float32


def test_bf16_mixed_training_runs_and_logs_a_finite_loss(train_overrides):
    cfg = compose_cfg("train", [*train_overrides, "trainer.precision=bf16-mixed", "model.input_feed=true"])
    metrics = train(cfg)
    assert metrics["objective"] is not None and math.isfinite(metrics["test/loss"])
    assert json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())["global_step"] == 5


@pytest.mark.parametrize(("precision", "accelerator", "message"), [
    ("fp16", "auto", "is not one of"),
    ("16-mixed", "cpu", "is for GPUs"),
])
def test_precision_is_validated_before_training(train_overrides, precision, accelerator, message):
    from seq2seq.errors import ConfigError
    from seq2seq.train_config import validate_train_config

    overrides = [o for o in train_overrides if not o.startswith("trainer.accelerator")]
    cfg = compose_cfg("train", [*overrides, f"trainer.precision={precision}", f"trainer.accelerator={accelerator}"])
    with pytest.raises(ConfigError, match=message):
        validate_train_config(cfg)
