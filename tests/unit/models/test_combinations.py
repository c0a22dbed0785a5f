"""Every recurrent architecture trains and decodes: cell × attention × input feeding × direction on a tiny
model (plain PyTorch), and a few Lightning training steps for each option added last (concat attention,
coverage with its loss and beam penalty)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import compose_cfg, model_from_schema
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from seq2seq.data.pairs.collate import collate_pairs
from seq2seq.models.search import beam_search, greedy_search, max_lengths
from seq2seq.models.seq2seq import Seq2SeqModel
from seq2seq.tasks.seq2seq.config import Seq2SeqModelConfig
from seq2seq.tokenizers import EOS, PAD
from seq2seq.train import train

VOCAB = 10
CELLS = ("rnn", "lstm", "gru")
ATTENTIONS = ("none", "bahdanau", "dot", "general", "concat")
COMBINATIONS = list(itertools.product(CELLS, ATTENTIONS, (True, False), (True, False)))


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def padded_batch(seed: int) -> dict:
    """4 pairs of different lengths, so both sides are padded."""
    rng = np.random.default_rng(seed)
    return collate_pairs([(i, rng.integers(4, VOCAB, size=s), rng.integers(4, VOCAB, size=t))
                          for i, (s, t) in enumerate([(5, 3), (2, 6), (4, 1), (6, 4)])])


def train_steps(model: Seq2SeqModel, batch: dict, steps: int = 3) -> list[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        logits, _ = model(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
        loss = F.cross_entropy(logits.flatten(0, 1), batch["tgt_out"].flatten(), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(("cell", "attention", "input_feed", "bidirectional"), COMBINATIONS,
                         ids=[f"{c}-{a}-{'feed' if f else 'nofeed'}-{'bi' if b else 'uni'}"
                              for c, a, f, b in COMBINATIONS])
def test_every_combination_trains_and_decodes(cell, attention, input_feed, bidirectional):
    torch.manual_seed(COMBINATIONS.index((cell, attention, input_feed, bidirectional)))
    model = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, VOCAB, VOCAB, cell=cell, embedding_dim=8, hidden_size=8,
                              encoder_layers=1, decoder_layers=1, bidirectional=bidirectional,
                              attention=attention, input_feed=input_feed, dropout=0.0)
    batch = padded_batch(0)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    losses = train_steps(model, batch)
    assert all(math.isfinite(x) for x in losses) and losses[-1] < losses[0], losses
    unchanged = [n for n, p in model.named_parameters() if torch.equal(p, before[n])]
    assert not unchanged, f"parameters that did not learn: {unchanged}"
    model.eval()
    budget = max_lengths(batch["src_lengths"], 1.5, 2, 8)
    for result in (greedy_search(model, batch["src"], batch["src_lengths_cpu"], budget),
                   beam_search(model, batch["src"], batch["src_lengths_cpu"], budget, beam_size=3, n_best=2)):
        assert torch.isfinite(result.scores).all()
        assert (result.tokens == EOS).any(-1).all(), "every output ends with EOS"
        assert (result.attention is None) == (attention == "none")


# ------------------------------------------------------------------------------- Lightning, new options


def scalar_tags(run_dir) -> set[str]:
    return set(EventAccumulator(str(run_dir / "tensorboard")).Reload().Tags()["scalars"])


@pytest.mark.slow
@pytest.mark.parametrize("options", [
    ["model.attention=concat", "model.input_feed=true"],
    ["model.attention=concat", "model.coverage=true", "loss.coverage_weight=0.5", "decoding.coverage_penalty=0.2"],
    ["model.attention=dot", "model.coverage=true", "loss.coverage_weight=1.0", "model.cell=gru"],
], ids=["concat-feed", "concat-coverage", "dot-coverage"])
def test_train_runs_with_the_new_options(train_overrides, tmp_path, options):
    metrics = train(compose_cfg("train", [*train_overrides, *options]))
    assert math.isfinite(metrics["test/loss"]) and metrics["test/chrf"] >= 0.0
    tags = scalar_tags(tmp_path / "run")
    assert "train/loss" in tags
    assert ("train/coverage_loss" in tags) == any(o.startswith("loss.coverage_weight") for o in options)
