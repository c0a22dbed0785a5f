"""Why the bidirectional encoder dominates CPU training, and an exact way around it.

On the CPU, ``nn.LSTM`` on a PackedSequence whose lengths differ runs PyTorch's native per-step packed
layer: it narrows one precomputed (tokens, 4H) input projection per time step, and in the backward pass
every narrow zero-fills a full (tokens, 4H) gradient that autograd then adds up — work quadratic in the
source length. With equal lengths PyTorch takes the fused oneDNN kernel instead.

The alternative computes exactly what packing computes with the fused kernel: each layer is ONE
bidirectional call on the padded batch with one extra input feature, is_pad, whose weight column is
-1e4 on the input gate and +1e4 on the forget gate. At a padded step the gates saturate to i = 0, f = 1
exactly in float32, so c passes through unchanged and every gradient through that step is exactly 0.
Padding sits at the end of each row: the forward direction carries its final c through it (its final h
is read at length-1); the reverse direction meets the padding first and stays at its zero initial state.

    python benchmarks/packed_encoder_cpu.py [--threads 1] [--lengths 24 40] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def packed(lstm: nn.LSTM, emb: torch.Tensor, lengths: torch.Tensor):
    out, (h, c) = lstm(pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False))
    return pad_packed_sequence(out, batch_first=True, total_length=emb.size(1))[0], h, c


def saturated(lstm: nn.LSTM, emb: torch.Tensor, lengths: torch.Tensor):
    """The same (memory, h, c) as ``packed``, through one fused bidirectional call per layer."""
    b, s, hidden = emb.size(0), emb.size(1), lstm.hidden_size
    pad = torch.arange(s).unsqueeze(0) >= lengths.unsqueeze(1)  # B, S
    column = emb.new_zeros(4 * hidden, 1)
    column[:hidden], column[hidden : 2 * hidden] = -1e4, 1e4  # gates i, f, g, o
    x, hs, cs, last = emb, [], [], (torch.arange(b), lengths - 1)
    for layer in range(lstm.num_layers):
        params = []
        for sfx in (f"_l{layer}", f"_l{layer}_reverse"):
            params += [torch.cat([getattr(lstm, "weight_ih" + sfx), column], 1), getattr(lstm, "weight_hh" + sfx),
                       getattr(lstm, "bias_ih" + sfx), getattr(lstm, "bias_hh" + sfx)]
        zeros = x.new_zeros(2, b, hidden)
        x_aug = torch.cat([x, pad.unsqueeze(-1).to(x.dtype)], -1)
        out, h, c = torch.lstm(x_aug, (zeros, zeros), params, True, 1, 0.0, True, True, True)
        x = out.masked_fill(pad.unsqueeze(-1), 0.0)
        hs.append(torch.stack([x[last][:, :hidden], h[1]]))
        cs.append(c)
    return x, torch.cat(hs), torch.cat(cs)


def timed(fn, lstm, emb, lengths):
    emb.grad = None
    lstm.zero_grad(set_to_none=True)
    start = time.perf_counter()
    memory, h, c = fn(lstm, emb, lengths)
    (memory.square().sum() + h.sum() + c.sum()).backward()
    grads = [p.grad.clone() for p in lstm.parameters()] + [emb.grad.clone()]
    return time.perf_counter() - start, [memory.detach(), h.detach(), c.detach()], grads


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lengths", type=int, nargs=2, default=[24, 40], help="source lengths drawn from [lo, hi]")
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    lstm = nn.LSTM(128, 256, 2, batch_first=True, bidirectional=True)  # the bench's encoder
    lengths = torch.randint(a.lengths[0], a.lengths[1] + 1, (64,))
    emb = torch.randn(64, int(lengths.max()), 128, requires_grad=True)
    _, out_a, grad_a = timed(packed, lstm, emb, lengths)
    _, out_b, grad_b = timed(saturated, lstm, emb, lengths)
    rel = max(float((x - y).abs().max() / x.abs().max()) for x, y in zip(grad_a, grad_b))
    print(f"outputs max abs diff {max(float((x - y).abs().max()) for x, y in zip(out_a, out_b)):.1e}, "
          f"gradients max relative diff {rel:.1e}")
    for name, fn in (("packed nn.LSTM", packed), ("saturated padding, fused", saturated)):
        ms = statistics.median(timed(fn, lstm, emb, lengths)[0] for _ in range(a.runs)) * 1e3
        print(f"{name}: forward+backward {ms:.0f} ms (batch 64, lengths {a.lengths[0]}..{a.lengths[1]}, "
              f"{a.threads} threads)")


if __name__ == "__main__":
    main()
