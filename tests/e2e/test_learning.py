"""End-to-end learning check: a small attentional seq2seq learns to reverse strings.

Plain PyTorch training (Adam at 3e-3 decaying linearly to 0, teacher forcing, batches of 64) on 200 random
strings of length 3-8 over 10 letters, for a fixed budget of 200 steps. After it, the model must reach
>= 95% exact match under greedy decoding on those strings, and the attention of greedy decoding must be
anti-diagonal: for output position t < len, the most attended source position is len-1-t (the source
ends with EOS at position len) for >= 90% of positions. Deterministic: fixed seeds, one intra-op thread.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from conftest import model_from_schema
from torch import nn

from seq2seq.data.pairs.collate import collate_pairs
from seq2seq.models.search import greedy_search
from seq2seq.models.seq2seq import Seq2SeqModel
from seq2seq.tasks.seq2seq.config import Seq2SeqModelConfig
from seq2seq.tokenizers import EOS, PAD

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]

LETTERS = 10
VOCAB = 4 + LETTERS  # ids 0-3 are the specials, letters are 4..13
N_STRINGS = 200
STEPS = 200
BATCH = 64
EXACT_MATCH = 0.95
DIAGONAL = 0.90




def reversal_strings(n: int = N_STRINGS, seed: int = 1234, lo: int = 3, hi: int = 8) -> list[tuple[int, ...]]:
    rng = random.Random(seed)
    seen: set[tuple[int, ...]] = set()
    out = []
    while len(out) < n:
        s = tuple(rng.randrange(4, VOCAB) for _ in range(rng.randint(lo, hi)))
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def evaluate(model: Seq2SeqModel, strings, batch) -> tuple[float, float]:
    """Exact match of greedy outputs and the share of positions whose argmax attention is len-1-t."""
    model.eval()
    res = greedy_search(model, batch["src"], batch["src_lengths_cpu"], batch["src_lengths"] + 5)
    model.train()
    tokens, attn = res.tokens[:, 0], res.attention
    exact = hits = total = 0
    for i, s in enumerate(strings):
        n = len(s)
        exact += tokens[i, : n + 1].tolist() == [*s[::-1], EOS]
        steps = min(n, attn.size(1))  # a wrong, shorter output has fewer steps: missing ones count as misses
        hits += int((attn[i, :steps].argmax(-1) == torch.arange(n - 1, n - 1 - steps, -1)).sum())
        total += n
    return exact / len(strings), hits / total


@pytest.mark.parametrize(
    ("attention", "input_feed", "cell", "coverage"),
    [
        ("bahdanau", False, "gru", False),
        ("dot", False, "lstm", False),
        ("general", False, "gru", False),
        ("general", True, "gru", False),
        ("concat", False, "gru", False),
        ("concat", True, "lstm", True),
    ],
)
def test_learns_to_reverse_with_antidiagonal_attention(attention, input_feed, cell, coverage):
    torch.manual_seed(0)
    strings = reversal_strings()
    items = [(i, np.array(s), np.array(s[::-1])) for i, s in enumerate(strings)]
    everything = collate_pairs(items)
    model = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, VOCAB, VOCAB, cell=cell, embedding_dim=32, hidden_size=64,
                              encoder_layers=1, decoder_layers=1, bidirectional=True, attention=attention, input_feed=input_feed,
                         bridge="copy", dropout=0.0, coverage=coverage)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 - step / STEPS)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD)
    order = torch.Generator().manual_seed(0)

    for _ in range(STEPS):
        idx = torch.randperm(N_STRINGS, generator=order)[:BATCH].tolist()
        batch = collate_pairs([items[i] for i in idx])
        logits, _ = model(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
        loss = loss_fn(logits.reshape(-1, VOCAB), batch["tgt_out"].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()

    exact, diagonal = evaluate(model, strings, everything)
    assert exact >= EXACT_MATCH, f"exact match {exact:.3f} after {STEPS} steps (last loss {loss.item():.4f})"
    assert diagonal >= DIAGONAL, f"argmax attention on len-1-t for only {diagonal:.3f} of positions"
