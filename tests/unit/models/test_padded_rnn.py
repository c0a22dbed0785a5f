"""The CPU's fused padded LSTM/GRU path equals the packed one: outputs, final states and gradients."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seq2seq.models.padded_rnn import forward_padded, fused_padded_supported
from seq2seq.models.rnn import CellOptions, make_rnn


def packed(rnn, x, lengths):
    out, state = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    return pad_packed_sequence(out, batch_first=True, total_length=x.size(1))[0], state


def outputs_and_grads(fn, rnn, x, lengths):
    rnn.zero_grad(set_to_none=True)
    x = x.detach().clone().requires_grad_(True)
    out, state = fn(rnn, x, lengths)
    states = state if isinstance(state, tuple) else (state,)
    # Weight every output position and state differently so any misplaced gradient shows.
    loss = (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum() + sum((s * s).sum() for s in states)
    loss.backward()
    return [out.detach(), *(s.detach() for s in states)], [x.grad, *(p.grad for p in rnn.parameters())]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize(("layers", "bidirectional"), [(1, False), (1, True), (2, True), (3, False)])
def test_fused_padded_path_equals_packed(cell, layers, bidirectional):
    torch.manual_seed(layers)
    rnn = make_rnn(cell, 6, 5, layers, 0.0, bidirectional)
    lengths = torch.tensor([7, 2, 5, 7, 1])
    x = torch.randn(5, 7, 6)
    assert fused_padded_supported(rnn, x)
    want, want_grads = outputs_and_grads(packed, rnn, x, lengths)
    got, got_grads = outputs_and_grads(forward_padded, rnn, x, lengths)
    for a, b in zip(want, got):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-5)
    for a, b in zip(want_grads, got_grads):
        torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-4)
    assert got[0][1, 2:].abs().max() == 0  # zeros at padding


def test_fused_padded_path_stays_float32_under_autocast():
    rnn = make_rnn("lstm", 4, 3, 2, 0.0, True)
    x = torch.randn(2, 5, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, (h, c) = forward_padded(rnn, x.bfloat16(), torch.tensor([5, 3]))
    assert out.dtype == h.dtype == c.dtype == torch.float32


def test_reference_cells_and_plain_rnn_keep_the_packed_path():
    x = torch.randn(2, 3, 4)
    assert not fused_padded_supported(make_rnn("rnn", 4, 3, 1, 0.0), x)
    assert not fused_padded_supported(make_rnn("lstm", 4, 3, 1, 0.0, options=CellOptions("reference")), x)
