"""A new cell type is one register_cell call: this file adds a toy cell (a minimal gated unit, two gate
blocks) without touching the package, then trains a seq2seq model with it and decodes from its checkpoint."""

from __future__ import annotations

import pytest
import torch
from conftest import compose_cfg

import seq2seq
from seq2seq.errors import ConfigError
from seq2seq.models.cell_types import CELLS, CellType, register_cell
from seq2seq.models.rnn import make_rnn
from seq2seq.train import train
from seq2seq.train_config import validate_train_config


def mgu_step(layer, xp, hp, h, c, suffix):
    """Minimal gated unit: f = σ(x_f + h_f); h' = f·h + (1 − f)·tanh(x_n + f·h_n)."""
    xf, xn = xp.chunk(2, dim=-1)
    hf, hn = hp.chunk(2, dim=-1)
    f = torch.sigmoid(xf + hf)
    return f * h + (1 - f) * torch.tanh(xn + f * hn), None


@pytest.fixture
def toy_cell():
    register_cell(CellType("mgu", ("h",), 2, mgu_step))
    yield CELLS["mgu"]
    del CELLS["mgu"]


def test_a_registered_cell_builds_layers_with_its_state_layout(toy_cell):
    rnn = make_rnn("mgu", 5, 7, num_layers=2, dropout=0.0, bidirectional=True)
    assert rnn.weight_ih_l1.shape == (2 * 7, 2 * 7)  # gates × H rows; input = both directions of layer 0
    out, h = rnn(torch.randn(3, 4, 5))
    assert out.shape == (3, 4, 14) and h.shape == (4, 3, 7)  # one state tensor: (layers·directions, B, H)


def test_config_accepts_a_registered_cell_and_names_the_known_ones(toy_cell, train_overrides):
    cfg = validate_train_config(compose_cfg("train", [*train_overrides, "model.cell=mgu"]))
    assert cfg["model"]["cell"] == "mgu"
    with pytest.raises(ConfigError, match=r"'model.cell': Invalid value 'mug', expected one of \[rnn, lstm, gru, mgu\]"):
        validate_train_config(compose_cfg("train", [*train_overrides, "model.cell=mug"]))


def test_a_toy_cell_trains_and_decodes(toy_cell, train_overrides):
    metrics = train(compose_cfg("train", [*train_overrides, "model.cell=mgu", "trainer.max_epochs=1"]))
    predictor = seq2seq.load(metrics["best_model_path"])
    assert predictor.model.encoder.rnn.spec is toy_cell
    assert len(predictor.predict(["abc", "hgfe"])) == 2
