"""Coverage: Luong's concat score, the coverage attention term and state, the coverage loss, and GNMT's
coverage penalty in beam search."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import compose_cfg
from test_models import COVERAGE_CONFIGS, make_model, make_pairs
from test_search import hypothesis, make_batch, reference_beam, search_inputs, sequence_logprob
from test_search import make_model as make_search_model

from seq2seq.data.pairs.collate import collate_pairs
from seq2seq.errors import ConfigError
from seq2seq.models.attention import Attention, coverage_loss
from seq2seq.models.decoder import DecoderState
from seq2seq.models.search import COVERAGE_FLOOR, beam_search, coverage_penalty, length_penalty
from seq2seq.models.seq2seq import Source
from seq2seq.tokenizers import BOS, EOS, PAD
from seq2seq.train_config import validate_train_config

TOL = {"rtol": 0.0, "atol": 1e-10}


def attention_inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    query, memory = torch.randn(3, 1, 6, generator=g, dtype=torch.double), torch.randn(3, 5, 6, generator=g,
                                                                                       dtype=torch.double)
    coverage = torch.rand(3, 5, generator=g, dtype=torch.double) * 2
    return query, memory, coverage


# ------------------------------------------------------------------------------------------- scores


def test_concat_score_is_luong_single_matrix_over_the_concatenation():
    """v^T tanh(W_a [h_t; h_s]) with one matrix W_a and no bias, computed the split way."""
    torch.manual_seed(0)
    attention = Attention("concat", 6, 6).double()
    query, memory, _ = attention_inputs()
    w_a = torch.cat([attention.query_proj.weight, attention.memory_proj.weight], dim=1)  # (A, Dq + Dm)
    assert attention.memory_proj.bias is None
    pairs = torch.cat([query.expand(-1, 5, -1), memory], dim=-1)  # (B, S, Dq + Dm): [h_t; h_s] per position
    expected = (torch.tanh(pairs @ w_a.T) @ attention.v.weight.T).squeeze(-1).unsqueeze(1)
    with torch.no_grad():
        torch.testing.assert_close(attention.scores(query, attention.keys(memory)), expected, **TOL)


@pytest.mark.parametrize("kind", ["bahdanau", "concat", "dot", "general"])
def test_coverage_term_of_each_score(kind):
    """Additive: w_c · cov inside the tanh; dot/general: a learned scalar times cov added to the score."""
    torch.manual_seed(1)
    attention = Attention(kind, 6, 6, coverage=True).double()
    query, memory, coverage = attention_inputs(1)
    keys = attention.keys(memory)
    with torch.no_grad():
        plain = attention.scores(query, keys)
        if kind in ("dot", "general"):
            assert float(attention.coverage_weight) == 0.0  # starts as the plain score
            attention.coverage_weight.fill_(-0.7)
            expected = plain - 0.7 * coverage.unsqueeze(1)
        else:
            hidden = attention.query_proj(query).unsqueeze(2) + keys.unsqueeze(1)
            hidden = hidden + coverage.unsqueeze(1).unsqueeze(-1) * attention.coverage_proj.weight.view(-1)
            expected = attention.v(torch.tanh(hidden)).squeeze(-1)
        scored = attention.scores(query, keys, coverage)
    torch.testing.assert_close(scored, expected, **TOL)
    assert not torch.allclose(scored, plain)


def test_coverage_attention_needs_its_vector_and_one_step_at_a_time():
    query, memory, coverage = attention_inputs()
    mask = torch.ones(3, 5, dtype=torch.bool)
    attention = Attention("general", 6, 6, coverage=True).double()
    with pytest.raises(ValueError, match="needs the coverage vector"):
        attention(query, memory, memory, mask)
    with pytest.raises(ValueError, match="one step at a time"):
        attention(query.expand(-1, 2, -1), memory, memory, mask, coverage)


# ---------------------------------------------------------------------------------------- the state


@pytest.mark.parametrize(("cell", "attention", "input_feed"), COVERAGE_CONFIGS)
def test_coverage_state_is_the_sum_of_past_weights(cell, attention, input_feed):
    """After teacher forcing the state's coverage is the sum of all attention weights (0 on padding), and
    the coverage model attends differently from the same weights without the coverage term."""
    model = make_model(4, cell, attention, input_feed, coverage=True)
    batch = collate_pairs(make_pairs(4))
    with torch.no_grad():
        source, state = model.encode(batch["src"], batch["src_lengths_cpu"])
        assert torch.equal(state.coverage, torch.zeros_like(source.mask, dtype=state.coverage.dtype))
        _, attn, final = model.decoder(batch["tgt_in"], state, source.memory, source.keys, source.mask)
    torch.testing.assert_close(final.coverage, attn.sum(1), **TOL)
    assert torch.equal(final.coverage.masked_fill(source.mask, 0.0), torch.zeros_like(final.coverage))
    assert not torch.allclose(attn, _without_coverage(model, batch))


def _without_coverage(model, batch) -> torch.Tensor:
    """Attention of ``model`` with the coverage vector held at zero (each step scored alone)."""
    with torch.no_grad():
        source, state = model.encode(batch["src"], batch["src_lengths_cpu"])
        attns = []
        for t in range(batch["tgt_in"].size(1)):
            state = DecoderState(state.hidden, state.feed, torch.zeros_like(state.coverage))
            _, attn, state = model.decoder.step(batch["tgt_in"][:, t], state, source.memory, source.keys,
                                                source.mask)
            attns.append(attn)
    return torch.cat(attns, 1)


def test_coverage_needs_attention():
    with pytest.raises(ValueError, match="coverage needs an attention"):
        make_model(0, attention="none", coverage=True)


# ------------------------------------------------------------------------------------------- the loss


def test_coverage_loss_by_hand():
    # sentence 0 attends position 0 twice (overlap 1 at step 2), then position 1 (overlap 0); sentence 1 has
    # one real target step, so its padded steps do not count.
    attn = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
                         [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]])
    mask = torch.tensor([[True, True, True], [True, False, False]])
    assert float(coverage_loss(attn, mask)) == pytest.approx((0 + 1 + 0 + 0) / 4)
    # min(a_t, c_t) with c_t the sum of the earlier steps: 0.5 at steps 2 and 3 of a uniform sentence
    assert float(coverage_loss(attn[1:], torch.ones(1, 3, dtype=torch.bool))) == pytest.approx((0 + 1 + 1) / 3)


# --------------------------------------------------------------------------------- beam with coverage


@pytest.mark.parametrize(("cell", "attention", "input_feed"), COVERAGE_CONFIGS)
def test_batched_beam_with_coverage_equals_reference_beam(cell, attention, input_feed):
    """Each hypothesis carries its own coverage vector, reordered with the beams."""
    model = make_search_model(7, cell, attention, input_feed, coverage=True)
    src, lengths, budget = search_inputs(make_batch(7, n=4))
    res = beam_search(model, src, lengths, budget, beam_size=3, n_best=3)
    for i in range(src.size(0)):
        ref = reference_beam(model, src[i], int(lengths[i]), int(budget[i]), 3)
        assert [hypothesis(row) for row in res.tokens[i]] == [seq for _, seq in ref]
        np.testing.assert_allclose(res.scores[i].numpy(), [s for s, _ in ref], rtol=0, atol=1e-4)


# ------------------------------------------------------------------------------------ coverage penalty


def test_coverage_penalty_values():
    totals = torch.tensor([[2.0, 0.5, 0.0], [1.0, 1.0, 9.0]])
    mask = torch.tensor([[True, True, False], [True, True, True]])
    cp = coverage_penalty(totals, mask, 0.2)
    assert cp.tolist() == pytest.approx([0.2 * math.log(0.5), 0.0])  # capped at 1; padding ignored
    unattended = coverage_penalty(torch.tensor([[1.0, 0.0]]), torch.ones(1, 2, dtype=torch.bool), 1.0)
    assert float(unattended) == pytest.approx(math.log(COVERAGE_FLOOR))


@pytest.mark.parametrize("seed", range(3))
def test_coverage_penalty_zero_changes_nothing_and_scores_are_gnmt(seed):
    """beta = 0 is the plain search; beta > 0 scores each hypothesis logprob / lp + cp, cp from the
    attention of its own steps up to EOS (not of the PAD steps after it)."""
    model = make_search_model(seed, "gru", ("bahdanau", "general", "concat")[seed], seed == 1).double()
    src, lengths, budget = search_inputs(make_batch(seed))
    plain = beam_search(model, src, lengths, budget, beam_size=4, n_best=3, penalty="gnmt")
    zero = beam_search(model, src, lengths, budget, beam_size=4, n_best=3, penalty="gnmt", coverage_beta=0.0)
    assert torch.equal(plain.tokens, zero.tokens) and torch.equal(plain.scores, zero.scores)
    res = beam_search(model, src, lengths, budget, beam_size=4, n_best=3, penalty="gnmt", coverage_beta=0.4)
    for i in range(src.size(0)):
        n = int(lengths[i])
        for row, score in zip(res.tokens[i], res.scores[i].tolist(), strict=True):
            hyp = hypothesis(row)
            with torch.no_grad():
                _, attn = model(src[i : i + 1, :n], lengths[i : i + 1], torch.tensor([[BOS, *hyp[:-1]]]))
            cp = float(coverage_penalty(attn[0].sum(0), torch.ones(n, dtype=torch.bool), 0.4))
            lp = float(length_penalty(torch.tensor([len(hyp)]), "gnmt", 0.6)[0])
            assert score == pytest.approx(sequence_logprob(model, src[i], n, hyp) / lp + cp, abs=1e-5)  # fp32 scores


VOCAB = 6  # PAD BOS EOS UNK and the words 4, 5
SCRIPT = {BOS: ({4: 0.5, 5: 0.4, EOS: 0.1}, [1.0, 0.0]), 4: ({EOS: 1.0}, [1.0, 0.0]), 5: ({EOS: 1.0}, [0.0, 1.0])}


class ScriptedModel:
    """Next-token probabilities and attention over a 2-word source chosen by hand from the token fed:
    "4 EOS" is the more probable output but attends source word 0 twice and word 1 never; "5 EOS"
    attends each word once."""

    def encode(self, src, src_lengths):
        b, s = src.shape
        return Source(torch.zeros(b, s, 1), None, src != PAD), DecoderState((torch.zeros(1, b, 1),), None)

    def step(self, tokens, state, source):
        logp, attn = torch.full((len(tokens), VOCAB), float("-inf")), torch.full((len(tokens), 2), 0.5)
        for row, token in enumerate(tokens.tolist()):  # a hand-written script, not the search under test
            probs, weights = SCRIPT.get(token, ({PAD: 1.0}, [0.5, 0.5]))
            for x, p in probs.items():
                logp[row, x] = math.log(p)
            attn[row] = torch.tensor(weights)
        return logp, attn, state


def test_coverage_penalty_ranks_a_hypothesis_that_skips_source_words_lower():
    src, lengths, budget = torch.tensor([[4, 5]]), torch.tensor([2]), torch.tensor([4])
    search = {"beam_size": 2, "n_best": 2, "penalty": "none"}
    plain = beam_search(ScriptedModel(), src, lengths, budget, **search)
    assert [hypothesis(row) for row in plain.tokens[0]] == [[4, EOS], [5, EOS]]
    covered = beam_search(ScriptedModel(), src, lengths, budget, **search, coverage_beta=0.2)
    assert [hypothesis(row) for row in covered.tokens[0]] == [[5, EOS], [4, EOS]]
    assert covered.scores[0].tolist() == pytest.approx([math.log(0.4), math.log(0.5) + 0.2 * math.log(COVERAGE_FLOOR)])


def test_coverage_penalty_needs_attention():
    model = make_search_model(0, attention="none")
    src, lengths, budget = search_inputs(make_batch(0))
    with pytest.raises(ValueError, match="coverage_penalty needs a model with attention"):
        beam_search(model, src, lengths, budget, beam_size=2, coverage_beta=0.2)


# ------------------------------------------------------------------------------------------- config

BASE = ["paths.output_dir=/tmp/seq2seq-test-run", "paths.cache_dir=null"]


def test_coverage_options_validate_from_the_command_line():
    cfg = validate_train_config(compose_cfg("train", [*BASE, "model.attention=concat", "model.coverage=true",
                                                      "loss.coverage_weight=0.5", "decoding.coverage_penalty=0.2"]))
    assert cfg["model"]["attention"] == "concat" and cfg["model"]["coverage"] is True
    assert cfg["loss"]["coverage_weight"] == 0.5 and cfg["decoding"]["coverage_penalty"] == 0.2


@pytest.mark.parametrize("overrides,message", [
    (["model.attention=none", "model.coverage=true"], r"model\.coverage=true needs attention weights"),
    (["model.attention=none", "loss.coverage_weight=1"], r"loss\.coverage_weight=1\.0 needs attention"),
    (["decoding.coverage_penalty=-0.1"], r"bad value for 'decoding\.coverage_penalty': -0\.1; must be >= 0"),
    (["model.coverage=maybe"], r"model\.coverage"),
])
def test_coverage_config_mistakes(overrides, message):
    with pytest.raises(ConfigError, match=message):
        validate_train_config(compose_cfg("train", [*BASE, *overrides]))
