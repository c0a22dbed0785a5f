"""Sampling, minimum length and n-gram blocking."""

from __future__ import annotations

import pytest
import torch
from test_search import hypothesis, make_batch, make_model, search_inputs

from seq2seq.models.sampling import filter_logits, sample
from seq2seq.models.search import beam_search, greedy_search
from seq2seq.tokenizers import EOS


@pytest.mark.parametrize("seed", range(4))
def test_sampling_at_temperature_zero_and_top_k_one_is_greedy(seed):
    model, batch = make_model(seed), make_batch(seed)
    src, lengths, budget = search_inputs(batch)
    greedy = greedy_search(model, src, lengths, budget)
    for kwargs in ({"temperature": 0.0}, {"temperature": 1.0, "top_k": 1}, {"temperature": 1.0, "top_p": 1e-6}):
        drawn = sample(model, src, lengths, budget, **kwargs)
        assert torch.equal(drawn.tokens, greedy.tokens), kwargs
        assert torch.allclose(drawn.scores, greedy.scores)


def test_sampling_is_reproducible_with_a_seeded_generator_and_varies_without():
    model, batch = make_model(1, vocab=30), make_batch(1, vocab=30)
    src, lengths, budget = search_inputs(batch, cap=15)
    a = sample(model, src, lengths, budget, generator=torch.Generator().manual_seed(5))
    b = sample(model, src, lengths, budget, generator=torch.Generator().manual_seed(5))
    c = sample(model, src, lengths, budget, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a.tokens, b.tokens) and not torch.equal(a.tokens, c.tokens)


def test_top_k_and_top_p_filters_keep_the_right_tokens():
    logp = torch.log_softmax(torch.tensor([[3.0, 2.0, 1.0, 0.0, -1.0]]), dim=-1)
    assert torch.isfinite(filter_logits(logp, 1.0, 2, 1.0)).sum() == 2
    probs = logp.exp()[0]
    kept = torch.isfinite(filter_logits(logp, 1.0, 0, float(probs[0] + 0.01)))
    assert kept[0, :2].all() and not kept[0, 2:].any()  # the smallest set reaching p


@pytest.mark.parametrize("beam", [1, 4])
def test_min_len_delays_eos(beam):
    model, batch = make_model(2), make_batch(2)
    src, lengths, budget = search_inputs(batch, ratio=3.0, extra=8, cap=20)
    with torch.no_grad():  # make EOS the favourite everywhere
        model.generator.out.bias[EOS] = 10.0
    res = beam_search(model, src, lengths, budget, beam_size=beam, min_len=5)
    for i in range(src.size(0)):
        assert len(hypothesis(res.tokens[i, 0])) - 1 >= min(5, int(budget[i]) - 1)
    free = beam_search(model, src, lengths, budget, beam_size=beam)
    assert all(len(hypothesis(free.tokens[i, 0])) == 1 for i in range(src.size(0)))


@pytest.mark.parametrize("beam", [1, 3])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_no_repeat_ngram_blocks_repeats(beam, n):
    model, batch = make_model(3, vocab=12), make_batch(3, vocab=12)
    src, lengths, budget = search_inputs(batch, ratio=3.0, extra=10, cap=25)
    with torch.no_grad():  # never end, so repeats would be forced without the rule
        model.generator.out.bias[EOS] = -20.0
    res = beam_search(model, src, lengths, budget, beam_size=beam, no_repeat_ngram=n)
    for i in range(src.size(0)):
        ids = hypothesis(res.tokens[i, 0])[:-1]
        grams = [tuple(ids[j : j + n]) for j in range(len(ids) - n + 1)]
        assert len(grams) == len(set(grams)), ids
    unblocked = beam_search(model, src, lengths, budget, beam_size=beam)
    ids = [hypothesis(unblocked.tokens[i, 0])[:-1] for i in range(src.size(0))]
    assert any(len(x) != len(set(x)) for x in ids)  # the rule was needed


@pytest.mark.parametrize("keep_greedy", [True, False])
def test_decoding_keep_greedy_reaches_beam_search(train_overrides, monkeypatch, keep_greedy):
    """``decoding.keep_greedy`` from the config is what the task's search hands to beam search."""
    from conftest import compose_cfg

    import seq2seq.inference.translation as task_module  # the task's search is the predictor's
    from seq2seq.tasks.seq2seq.module import Seq2SeqTask
    from seq2seq.train_config import validate_train_config

    cfg = validate_train_config(compose_cfg("train", [*train_overrides, f"decoding.keep_greedy={keep_greedy}"]))
    task = Seq2SeqTask(cfg["model"], cfg["optim"], cfg["scheduler"], cfg["decoding"], cfg["loss"], cfg["logger"],
                       12, 12, cfg["teacher_forcing"])
    seen = {}
    monkeypatch.setattr(task_module, "beam_search", lambda *args, **kwargs: seen.update(kwargs))
    batch = make_batch(0, n=2, vocab=12)
    task.search(batch["src"], batch["src_lengths_cpu"])
    assert seen["keep_greedy"] is keep_greedy
