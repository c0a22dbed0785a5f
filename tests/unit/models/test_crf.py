"""The CRF against brute force over every tag path; constrained decoding never breaks the scheme."""

from __future__ import annotations

import itertools

import pytest
import torch

from seq2seq.data.conll.schemes import allowed, allowed_at_end, first_violation, tag_set
from seq2seq.models.crf import CRF, transition_constraints, viterbi


def strictly_valid(tags: list[str], scheme: str) -> bool:
    """Every transition, the first and the last tag allowed by the scheme's canonical rules."""
    return (all(allowed(a, b, scheme) for a, b in zip([None, *tags], tags)) and allowed_at_end(tags[-1], scheme))


@torch.no_grad()
def path_scores(crf: CRF, emissions: torch.Tensor, length: int) -> dict[tuple[int, ...], float]:
    """Score of every tag path of one sentence (emissions (T, K)), written out term by term."""
    trans, start, end = crf.scores()
    out = {}
    for path in itertools.product(range(crf.num_tags), repeat=length):
        score = start[path[0]] + end[path[-1]] + sum(emissions[t, path[t]] for t in range(length))
        score = score + sum(trans[path[t - 1], path[t]] for t in range(1, length))
        out[path] = float(score)
    return out


def random_crf(num_tags: int, seed: int, constraints=None) -> CRF:
    torch.manual_seed(seed)
    crf = CRF(num_tags, constraints)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    return crf


@pytest.fixture
def batch():
    """Three sentences of lengths 4, 2, 1 padded to 4 positions, 3 tags, with garbage in the padding."""
    torch.manual_seed(0)
    emissions = torch.randn(3, 4, 3, dtype=torch.float64)
    lengths = torch.tensor([4, 2, 1])
    mask = torch.arange(4) < lengths.unsqueeze(1)
    emissions = emissions.masked_fill(~mask.unsqueeze(2), 1e3)  # padding must never matter
    return emissions, mask, lengths


def test_log_partition_and_likelihood_equal_brute_force(batch):
    emissions, mask, lengths = batch
    crf = random_crf(3, seed=1).double()
    tags = torch.tensor([[2, 0, 1, 1], [1, 2, 0, 0], [0, 0, 0, 0]])
    with torch.no_grad():
        log_z = crf.log_partition(emissions, mask)
        log_lik = crf.log_likelihood(emissions, tags, mask)
    for b, n in enumerate(lengths.tolist()):
        scores = path_scores(crf, emissions[b], n)
        expected = torch.logsumexp(torch.tensor(list(scores.values()), dtype=torch.float64), 0)
        assert float(log_z[b]) == pytest.approx(float(expected), abs=1e-9)
        gold = tuple(tags[b, :n].tolist())
        assert float(log_lik[b]) == pytest.approx(scores[gold] - float(expected), abs=1e-9)


def test_probabilities_of_all_paths_sum_to_one():
    crf = random_crf(3, seed=2).double()
    emissions = torch.randn(1, 3, 3, dtype=torch.float64)
    mask = torch.ones(1, 3, dtype=torch.bool)
    paths = torch.tensor(list(itertools.product(range(3), repeat=3)))
    with torch.no_grad():
        logp = crf.log_likelihood(emissions.expand(len(paths), 3, 3), paths, mask.expand(len(paths), 3))
    assert float(logp.exp().sum()) == pytest.approx(1.0, abs=1e-9)


def test_viterbi_equals_brute_force_argmax(batch):
    emissions, mask, lengths = batch
    for seed in range(5):
        crf = random_crf(3, seed=seed).double()
        with torch.no_grad():
            tags, best = crf.decode(emissions, mask)
        for b, n in enumerate(lengths.tolist()):
            scores = path_scores(crf, emissions[b], n)
            argmax = max(scores, key=scores.get)
            assert tuple(tags[b, :n].tolist()) == argmax
            assert float(best[b]) == pytest.approx(scores[argmax], abs=1e-9)
            assert tags[b, n:].eq(0).all()


def test_constraints_remove_forbidden_paths_from_the_partition():
    tags = tag_set(["PER"], "iob2")  # O B-PER I-PER
    crf = random_crf(3, seed=3, constraints=transition_constraints(tags, "iob2")).double()
    emissions = torch.randn(1, 3, 3, dtype=torch.float64)
    mask = torch.ones(1, 3, dtype=torch.bool)
    valid = [p for p in itertools.product(range(3), repeat=3) if strictly_valid([tags[i] for i in p], "iob2")]
    assert len(valid) == 13  # of 27: I-PER may follow only B-PER or I-PER, and cannot start
    scores = path_scores(crf, emissions[0], 3)
    expected = torch.logsumexp(torch.tensor([scores[p] for p in valid], dtype=torch.float64), 0)
    with torch.no_grad():
        log_z = crf.log_partition(emissions, mask)
    assert float(log_z[0]) == pytest.approx(float(expected), abs=1e-6)


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
def test_constrained_decoding_never_outputs_an_invalid_sequence(scheme):
    tags = tag_set(["LOC", "MISC", "ORG", "PER"], scheme)
    k = len(tags)
    generator = torch.Generator().manual_seed(0)
    emissions = torch.randn(200, 12, k, generator=generator) * 5
    lengths = torch.randint(1, 13, (200,), generator=generator)
    mask = torch.arange(12) < lengths.unsqueeze(1)
    unconstrained, _ = CRF(k).decode(emissions, mask)
    crf = CRF(k, transition_constraints(tags, scheme))
    with torch.no_grad():
        crf.transitions.normal_(generator=generator)  # learned scores may favour forbidden moves
    best, _ = crf.decode(emissions, mask)
    invalid_before = 0
    for row, n in enumerate(lengths.tolist()):
        decoded = [tags[t] for t in best[row, :n].tolist()]
        assert strictly_valid(decoded, scheme) and first_violation(decoded, scheme) is None
        invalid_before += not strictly_valid([tags[t] for t in unconstrained[row, :n].tolist()], scheme)
    assert invalid_before > 20  # the emissions alone do produce invalid sequences


def test_viterbi_ignores_padding():
    torch.manual_seed(4)
    crf = random_crf(5, seed=4)
    emissions = torch.randn(2, 6, 5)
    mask = torch.tensor([[1] * 6, [1, 1, 1, 0, 0, 0]], dtype=torch.bool)
    tags, scores = crf.decode(emissions, mask)
    alone, alone_score = crf.decode(emissions[1:, :3], mask[1:, :3])
    assert tags[1, :3].tolist() == alone[0].tolist() and tags[1, 3:].eq(0).all()
    assert torch.allclose(scores[1], alone_score[0])
    z = crf.log_partition(emissions, mask)
    assert torch.allclose(z[1], crf.log_partition(emissions[1:, :3], mask[1:, :3])[0])


def test_viterbi_function_with_zero_transitions_is_argmax():
    emissions = torch.randn(4, 7, 6)
    mask = torch.ones(4, 7, dtype=torch.bool)
    tags, _ = viterbi(emissions, mask, torch.zeros(6, 6), torch.zeros(6), torch.zeros(6))
    assert torch.equal(tags, emissions.argmax(-1))


def test_bad_shapes_and_empty_sequences_are_refused():
    crf = CRF(3)
    with pytest.raises(ValueError, match="mask"):
        crf.decode(torch.zeros(2, 3, 3), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="at least one position"):
        crf.log_partition(torch.zeros(2, 3, 3), torch.tensor([[1, 1, 0], [0, 0, 0]], dtype=torch.bool))
