"""Reference cells (written from the equations) equal PyTorch's built-in RNN/LSTM/GRU modules."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seq2seq.models.cells import ReferenceRNN

BUILTIN = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def pair(cell: str, layers: int, bidirectional: bool, nonlinearity: str = "tanh"):
    torch.manual_seed(0)
    kwargs = dict(input_size=5, hidden_size=7, num_layers=layers, batch_first=True, bidirectional=bidirectional)
    if cell == "rnn":
        kwargs["nonlinearity"] = nonlinearity
    builtin = BUILTIN[cell](**kwargs)
    ref = ReferenceRNN(cell, 5, 7, layers, bidirectional=bidirectional, nonlinearity=nonlinearity)
    ref.load_state_dict(builtin.state_dict())  # same parameter names and layouts
    return builtin, ref


def states(raw):
    return raw if isinstance(raw, tuple) else (raw,)


@pytest.mark.parametrize("cell,nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_reference_matches_builtin_forward_and_gradients_on_packed_input(cell, nonlinearity, layers, bidirectional):
    builtin, ref = pair(cell, layers, bidirectional, nonlinearity)
    x = torch.randn(4, 6, 5)
    lengths = torch.tensor([6, 3, 1, 5])
    outs, finals, grads = [], [], []
    for module in (builtin, ref):
        xi = x.clone().requires_grad_(True)
        packed = pack_padded_sequence(xi, lengths, batch_first=True, enforce_sorted=False)
        out, raw = module(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=6)
        loss = out.pow(2).sum() + sum(s.pow(2).sum() for s in states(raw))
        loss.backward()
        outs.append(out)
        finals.append(states(raw))
        grads.append([xi.grad] + [p.grad for p in module.parameters()])
    assert (outs[0] - outs[1]).abs().max() <= 1e-5
    for a, b in zip(*finals):
        assert (a - b).abs().max() <= 1e-5
    for a, b in zip(*grads):
        assert (a - b).abs().max() <= 1e-5


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_reference_matches_builtin_with_initial_state_on_padded_input(cell):
    builtin, ref = pair(cell, 2, False)
    x = torch.randn(3, 4, 5)
    h0 = torch.randn(2, 3, 7)
    hx = (h0, torch.randn(2, 3, 7)) if cell == "lstm" else h0
    out_a, raw_a = builtin(x, hx)
    out_b, raw_b = ref(x, hx)
    assert (out_a - out_b).abs().max() <= 1e-5
    for a, b in zip(states(raw_a), states(raw_b)):
        assert (a - b).abs().max() <= 1e-5


def test_variational_recurrent_dropout_uses_one_mask_per_sequence():
    ref = ReferenceRNN("rnn", 2, 16, nonlinearity="relu", recurrent_dropout=0.5)
    with torch.no_grad():  # h_t = relu(mask ⊙ h_{t-1}): dropped units stay dropped only if the mask is fixed
        ref.weight_ih_l0.zero_()
        ref.weight_hh_l0.copy_(torch.eye(16))
        ref.bias_ih_l0.zero_()
        ref.bias_hh_l0.zero_()
    ref.train()
    torch.manual_seed(3)
    out, _ = ref(torch.zeros(8, 10, 2), torch.ones(1, 8, 16))
    zero_first = out[:, 0] == 0
    assert zero_first.any() and (~zero_first).any()
    assert torch.equal(out[:, -1] == 0, zero_first)
    assert torch.allclose(out[:, -1][~zero_first], torch.full_like(out[:, -1][~zero_first], 2.0**10))
    ref.eval()
    out, _ = ref(torch.zeros(8, 10, 2), torch.ones(1, 8, 16))
    assert torch.equal(out, torch.ones_like(out))  # no dropout at evaluation


def test_layer_norm_lstm_runs_and_normalises_gates():
    ref = ReferenceRNN("lstm", 5, 7, layer_norm=True)
    out, (h, c) = ref(torch.randn(2, 3, 5))
    assert out.shape == (2, 3, 7) and h.shape == (1, 2, 7)
    assert any(name.startswith("ln_ih") for name, _ in ref.named_modules())
    with pytest.raises(ValueError, match="LSTM cell only"):
        ReferenceRNN("gru", 5, 7, layer_norm=True)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_whole_model_with_reference_cells_equals_builtin(cell):
    import numpy as np
    from conftest import model_from_schema

    from seq2seq.data.pairs.collate import collate_pairs
    from seq2seq.models.seq2seq import Seq2SeqModel
    from seq2seq.tasks.seq2seq.config import Seq2SeqModelConfig

    kwargs = dict(cell=cell, embedding_dim=6, hidden_size=5, encoder_layers=2, decoder_layers=2,
                  bidirectional=True, attention="general", dropout=0.0)
    torch.manual_seed(0)
    builtin = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, 9, 11, **kwargs).eval()
    reference = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, 9, 11, cell_impl="reference", **kwargs).eval()
    reference.load_state_dict(builtin.state_dict())
    batch = collate_pairs([(0, np.array([4, 5, 6]), np.array([7, 8])), (1, np.array([5]), np.array([4, 5, 6, 7]))])
    a, _ = builtin(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
    b, _ = reference(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
    assert (a - b).abs().max() <= 1e-5


def test_recurrent_dropout_needs_the_reference_cells():
    from conftest import compose_cfg

    from seq2seq.errors import ConfigError
    from seq2seq.train_config import validate_train_config

    base = ["paths.output_dir=/tmp/x", "paths.cache_dir=null"]
    with pytest.raises(ConfigError, match="need model.cell_impl=reference"):
        validate_train_config(compose_cfg("train", [*base, "model.recurrent_dropout=0.3"]))
    cfg = validate_train_config(compose_cfg("train", [*base, "model.recurrent_dropout=0.3", "model.cell_impl=reference",
                                                      "model.layer_norm=true"]))
    assert cfg["model"]["cell_impl"] == "reference"
