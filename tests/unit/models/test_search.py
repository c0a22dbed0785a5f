"""Properties of greedy and beam search: budgets, output layout, scores, equivalences, optimality."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from conftest import model_from_schema
from test_models import COVERAGE_CONFIGS, activate_coverage
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from seq2seq.data.pairs.collate import collate_pairs
from seq2seq.models.history import StepHistory
from seq2seq.models.sampling import sample
from seq2seq.models.search import beam_search, block_specials, greedy_search, length_penalty, max_lengths
from seq2seq.models.seq2seq import Seq2SeqModel
from seq2seq.tasks.seq2seq.config import Seq2SeqModelConfig
from seq2seq.tokenizers import BOS, EOS, PAD

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py

VOCAB = 12
CONFIGS = list(itertools.product(("rnn", "lstm", "gru"), ("none", "bahdanau", "dot", "general"),
                                 (False, True)))




def make_model(seed: int, cell: str = "gru", attention: str = "general", input_feed: bool = False,
               vocab: int = VOCAB, hidden_size: int = 8, bidirectional: bool | None = None,
               coverage: bool = False) -> Seq2SeqModel:
    if bidirectional is None:
        bidirectional = bool(seed % 2)
    torch.manual_seed(seed)
    model = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, vocab, vocab, cell=cell, embedding_dim=8, hidden_size=hidden_size,
                              encoder_layers=1, decoder_layers=1, bidirectional=bidirectional, attention=attention,
                         input_feed=input_feed, bridge="copy", dropout=0.0, coverage=coverage)
    return activate_coverage(model).eval()


def config_model(seed: int) -> Seq2SeqModel:
    cell, attention, input_feed = CONFIGS[seed % len(CONFIGS)]
    return make_model(seed, cell, attention, input_feed)


def make_batch(seed: int, n: int = 6, vocab: int = VOCAB, lo: int = 0, hi: int = 7):
    rng = np.random.default_rng(seed)
    sources = [rng.integers(4, vocab, size=rng.integers(lo, hi)) for _ in range(n)]
    return collate_pairs([(i, s, np.array([4])) for i, s in enumerate(sources)])


def search_inputs(batch, ratio: float = 1.5, extra: int = 3, cap: int = 20):
    return batch["src"], batch["src_lengths_cpu"], max_lengths(batch["src_lengths"], ratio, extra, cap)


@torch.no_grad()
def sequence_logprob(model, src: torch.Tensor, src_len: int, seq: list[int]) -> float:
    """Sum of step log-probabilities of ``seq`` (up to and including EOS) for one source, unbatched."""
    source, state = model.encode(src[None, :src_len], torch.tensor([src_len]))
    token, total = torch.tensor([BOS]), 0.0
    for x in seq:
        logp, _, state = model.step(token, state, source)
        total += float(logp[0, x])
        token = torch.tensor([x])
    return total


def hypothesis(row: torch.Tensor) -> list[int]:
    """Tokens up to and including the first EOS; checks that only PAD follows it."""
    ids = row.tolist()
    assert EOS in ids, f"no EOS in {ids}"
    end = ids.index(EOS) + 1
    assert all(x == PAD for x in ids[end:]), f"not EOS then PAD: {ids}"
    return ids[:end]


# ------------------------------------------------------------------------------------------- budgets


def test_max_lengths_math():
    lengths = torch.tensor([1, 2, 3, 5, 10, 100])
    assert max_lengths(lengths, 1.5, 3, 50).tolist() == [4, 6, 7, 10, 18, 50]  # floor(1.5·n) + 3, capped
    assert max_lengths(lengths, 0.5, 0, 50).tolist() == [1, 1, 1, 2, 5, 50]  # never below 1
    assert max_lengths(lengths, 0.0, 0, 50).tolist() == [1] * 6
    assert max_lengths(lengths, 2.0, 1, 4).tolist() == [3, 4, 4, 4, 4, 4]
    out = max_lengths(lengths, 1.2, 5, 200)
    assert out.dtype == torch.int64
    assert out.tolist() == [6, 7, 8, 11, 17, 125]


def test_length_penalty_values():
    lengths = torch.tensor([[1, 4], [7, 10]])
    assert torch.equal(length_penalty(lengths, "none", 0.6), torch.ones(2, 2))
    assert torch.equal(length_penalty(lengths, "avg", 0.6), lengths.float())
    torch.testing.assert_close(length_penalty(lengths, "gnmt", 0.6), ((5 + lengths.float()) / 6) ** 0.6)
    assert torch.equal(length_penalty(lengths, "gnmt", 0.0), torch.ones(2, 2))
    with pytest.raises(ValueError):
        length_penalty(lengths, "nope", 0.6)


@pytest.fixture
def eos_suppressed_model() -> Seq2SeqModel:
    """A model that never chooses EOS on its own, so every output runs to its budget."""
    model = make_model(4, "lstm", "general")
    with torch.no_grad():
        model.generator.out.bias[EOS] = -1e4
    return model


def test_greedy_respects_per_sentence_budgets(eos_suppressed_model):
    batch = make_batch(4, n=5)
    src, lengths, budget = search_inputs(batch, ratio=1.0, extra=1, cap=6)
    assert len(set(budget.tolist())) > 1, "want different budgets in one batch"
    res = greedy_search(eos_suppressed_model, src, lengths, budget)
    assert res.tokens.shape[:2] == (5, 1) and res.tokens.size(2) == int(budget.max())
    for row, n in zip(res.tokens[:, 0], budget.tolist(), strict=True):
        hyp = hypothesis(row)
        assert len(hyp) == n  # EOS forced exactly at the last allowed position
    assert (res.scores < -1e3).all()  # the forced EOS is paid for


@pytest.mark.parametrize("n_best", [1, 3])
def test_beam_respects_per_sentence_budgets(eos_suppressed_model, n_best):
    batch = make_batch(5, n=5)
    src, lengths, budget = search_inputs(batch, ratio=1.0, extra=1, cap=6)
    res = beam_search(eos_suppressed_model, src, lengths, budget, beam_size=4, n_best=n_best)
    assert res.tokens.shape[:2] == (5, n_best) and res.tokens.size(2) == int(budget.max())
    for hyps, n in zip(res.tokens, budget.tolist(), strict=True):
        for row in hyps:
            assert len(hypothesis(row)) == n


@pytest.mark.parametrize("seed", range(6))
def test_outputs_end_with_eos_then_pad_within_budget(seed):
    model = config_model(seed)
    batch = make_batch(seed)
    src, lengths, budget = search_inputs(batch, ratio=1.0, extra=2, cap=9)
    greedy = greedy_search(model, src, lengths, budget)
    beam = beam_search(model, src, lengths, budget, beam_size=4, n_best=4)
    for i, n in enumerate(budget.tolist()):
        assert len(hypothesis(greedy.tokens[i, 0])) <= n
        for row in beam.tokens[i]:
            assert len(hypothesis(row)) <= n


# ------------------------------------------------------------------------------------- greedy search


@pytest.mark.parametrize("seed", range(4))
def test_greedy_equals_unbatched_argmax_decoding(seed):
    model = config_model(seed)
    batch = make_batch(seed)
    src, lengths, budget = search_inputs(batch)
    res = greedy_search(model, src, lengths, budget)
    for i in range(src.size(0)):
        n = int(lengths[i])
        with torch.no_grad():
            source, state = model.encode(src[i : i + 1, :n], lengths[i : i + 1])
            token, seq, total = torch.tensor([BOS]), [], 0.0
            for t in range(int(budget[i])):
                logp, _, state = model.step(token, state, source)
                x = EOS if t + 1 >= int(budget[i]) else int(block_specials(logp)[0].argmax())
                seq.append(x)
                total += float(logp[0, x])
                if x == EOS:
                    break
                token = torch.tensor([x])
        assert hypothesis(res.tokens[i, 0]) == seq
        assert res.scores[i, 0].item() == pytest.approx(total, abs=1e-4)


# --------------------------------------------------------------------------------------- beam search


class _NotOne(int):
    """An int equal to 1 in value that does not compare equal to 1, to run the batched beam code with k=1
    instead of its shortcut to greedy_search."""

    def __eq__(self, other):
        return False

    __hash__ = int.__hash__


def assert_beam_size_one_is_greedy(model, seed: int) -> None:
    src, lengths, budget = search_inputs(make_batch(seed))
    greedy = greedy_search(model, src, lengths, budget)
    for beam in (beam_search(model, src, lengths, budget, beam_size=1),
                 beam_search(model, src, lengths, budget, beam_size=_NotOne(1), n_best=1)):
        assert torch.equal(beam.tokens, greedy.tokens)
        assert torch.equal(beam.scores, greedy.scores)
        if greedy.attention is None:
            assert beam.attention is None
        else:
            assert torch.equal(beam.attention, greedy.attention)


@pytest.mark.parametrize("seed", range(8))
def test_beam_size_one_is_greedy(seed):
    assert_beam_size_one_is_greedy(config_model(seed), seed)


@pytest.mark.parametrize(("cell", "attention", "input_feed", "coverage"),
                         [("gru", "concat", False, False), ("lstm", "concat", True, False),
                          *((c, a, f, True) for c, a, f in COVERAGE_CONFIGS)])
def test_beam_size_one_is_greedy_concat_and_coverage(cell, attention, input_feed, coverage):
    seed = 20 + len(attention) + input_feed
    assert_beam_size_one_is_greedy(make_model(seed, cell, attention, input_feed, coverage=coverage), seed)


@pytest.mark.parametrize("penalty", ["none", "avg", "gnmt"])
@pytest.mark.parametrize("seed", range(4))
def test_n_best_sorted_distinct_and_scored_correctly(seed, penalty):
    model = config_model(seed)
    src, lengths, budget = search_inputs(make_batch(seed))
    res = beam_search(model, src, lengths, budget, beam_size=5, n_best=3, penalty=penalty, alpha=0.6)
    assert res.tokens.shape[:2] == res.scores.shape == (src.size(0), 3)
    assert torch.isfinite(res.scores).all()
    assert (res.scores[:, :-1] >= res.scores[:, 1:]).all(), "n-best not sorted by score"
    for i in range(src.size(0)):
        hyps = [hypothesis(row) for row in res.tokens[i]]
        assert len({tuple(h) for h in hyps}) == 3, f"duplicate hypotheses {hyps}"
        for hyp, score in zip(hyps, res.scores[i].tolist(), strict=True):
            norm = float(length_penalty(torch.tensor([len(hyp)]), penalty, 0.6)[0])
            logprob = sequence_logprob(model, src[i], int(lengths[i]), hyp)
            assert score == pytest.approx(logprob / norm, abs=1e-4)


@pytest.mark.parametrize("coverage", [False, True], ids=["", "coverage"])
@pytest.mark.parametrize("input_feed", [False, True], ids=["nofeed", "feed"])
@pytest.mark.parametrize("attention", ["bahdanau", "dot", "general", "concat"])
def test_search_attention_is_that_of_the_returned_hypothesis(attention, input_feed, coverage):
    """The attention returned by greedy and beam search (reordered along with the beams) equals the
    teacher-forced attention of the best hypothesis (with coverage: so the coverage vector was reordered
    along with the beams too)."""
    seed = 3 + input_feed
    model = make_model(seed, "lstm", attention, input_feed, coverage=coverage).double()
    src, lengths, budget = search_inputs(make_batch(seed))
    for res in (greedy_search(model, src, lengths, budget),
                beam_search(model, src, lengths, budget, beam_size=4, n_best=2)):
        for i in range(src.size(0)):
            hyp, n = hypothesis(res.tokens[i, 0]), int(lengths[i])
            with torch.no_grad():
                _, attn = model(src[i : i + 1, :n], lengths[i : i + 1], torch.tensor([[BOS, *hyp[:-1]]]))
            torch.testing.assert_close(res.attention[i, : len(hyp), :n], attn[0], rtol=0, atol=1e-6)


def test_n_best_above_beam_size_is_rejected():
    model = make_model(0)
    src, lengths, budget = search_inputs(make_batch(0))
    with pytest.raises(ValueError):
        beam_search(model, src, lengths, budget, beam_size=2, n_best=3)


@torch.no_grad()
def reference_beam(model, src: torch.Tensor, src_len: int, budget: int,
                   k: int) -> list[tuple[float, list[int]]]:
    """Textbook beam search for one sentence (lists, no batching): finished hypotheses keep their slot and
    score, every live hypothesis expands to all tokens (only EOS at the budget), keep the k best."""
    source, state = model.encode(src[None, :src_len], torch.tensor([src_len]))
    beams = [(0.0, [], state)]
    for t in range(budget):
        candidates = []
        for score, seq, st in beams:
            if seq and seq[-1] == EOS:
                candidates.append((score, seq, st))
                continue
            logp, _, st2 = model.step(torch.tensor([seq[-1] if seq else BOS]), st, source)
            tokens = [EOS] if t + 1 >= budget else [x for x in range(logp.size(1)) if x not in (PAD, BOS)]
            candidates += [(score + float(logp[0, x]), [*seq, x], st2) for x in tokens]
        beams = sorted(candidates, key=lambda c: -c[0])[:k]
        if all(seq[-1] == EOS for _, seq, _ in beams):
            break
    return [(score, seq) for score, seq, _ in beams]


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("seed", [0, 5, 10, 42])
def test_batched_beam_equals_reference_beam(seed, k):
    model = config_model(seed)
    src, lengths, budget = search_inputs(make_batch(seed, n=5))
    res = beam_search(model, src, lengths, budget, beam_size=k, n_best=k)
    for i in range(src.size(0)):
        ref = reference_beam(model, src[i], int(lengths[i]), int(budget[i]), k)
        assert [hypothesis(row) for row in res.tokens[i]] == [seq for _, seq in ref]
        np.testing.assert_allclose(res.scores[i].numpy(), [s for s, _ in ref], rtol=0, atol=1e-4)


@pytest.mark.parametrize("seed", range(6))
def test_unpruned_beam_finds_the_optimum_and_beats_greedy(seed):
    """With a beam wide enough never to prune, beam search is exact: its best hypothesis is the most
    probable output (brute force over all of them) and so never scores below greedy."""
    vocab, budget = 6, 3  # outputs: x1 x2 EOS, x1 EOS or EOS, with x in the 5 non-EOS ids: 31 in all
    cell, attention, input_feed = CONFIGS[seed % len(CONFIGS)]
    model = make_model(seed, cell, attention, input_feed, vocab=vocab)
    batch = make_batch(seed, n=4, vocab=vocab)
    src, lengths = batch["src"], batch["src_lengths_cpu"]
    limit = torch.full_like(lengths, budget)
    others = [x for x in range(vocab) if x != EOS]
    outputs = [[*p, EOS] for n in range(budget) for p in itertools.product(others, repeat=n)]
    greedy = greedy_search(model, src, lengths, limit)
    beam = beam_search(model, src, lengths, limit, beam_size=len(outputs) + 5, n_best=1)
    for i in range(src.size(0)):
        scored = [(sequence_logprob(model, src[i], int(lengths[i]), seq), seq) for seq in outputs]
        best_score, best_seq = max(scored)
        assert hypothesis(beam.tokens[i, 0]) == best_seq
        assert beam.scores[i, 0].item() == pytest.approx(best_score, abs=1e-4)
        assert beam.scores[i, 0] >= greedy.scores[i, 0] - 1e-5


def _beam_minus_greedy(keep_greedy: bool, penalty: str = "none") -> list[tuple]:
    """(seed, beam, sentence, gap) wherever the best beam result ranks below greedy search's output."""
    worse = []
    for seed in range(50):
        model = config_model(seed)
        src, lengths, budget = search_inputs(make_batch(seed))
        greedy = greedy_search(model, src, lengths, budget)
        greedy_len = ((greedy.tokens[:, 0] != PAD).sum(-1)).float()
        greedy_rank = greedy.scores[:, 0] / length_penalty(greedy_len, penalty, 0.6)
        for k in (2, 5):
            beam = beam_search(model, src, lengths, budget, beam_size=k, n_best=1, penalty=penalty,
                               keep_greedy=keep_greedy)
            gap = beam.scores[:, 0] - greedy_rank
            worse += [(seed, k, i, round(g, 3)) for i, g in enumerate(gap.tolist()) if g < -1e-5]
    return worse


@pytest.mark.parametrize("penalty", ["none", "gnmt", "avg"])
def test_beam_score_never_below_greedy_random_models(penalty):
    """With keep_greedy (the default) the greedy hypothesis is never pruned, so the best beam result ranks
    at least as high as greedy's output under the same ranking, for every model and sentence."""
    worse = _beam_minus_greedy(keep_greedy=True, penalty=penalty)
    assert not worse, f"(seed, beam, sentence, beam - greedy) where beam ranks below greedy: {worse}"


def test_plain_beam_search_can_prune_the_greedy_path():
    """Why keep_greedy exists: plain beam search can drop the greedy prefix for k prefixes that are better
    at that step but end worse (e.g. config_model(25), beam 5, sentence 5: beam -25.70, greedy -25.62)."""
    assert _beam_minus_greedy(keep_greedy=False)


# ------------------------------------------------------------------------ cost per step (issue #13)


_ALLOCATIONS = {torch.ops.aten.empty, torch.ops.aten.new_empty, torch.ops.aten.empty_strided,
                torch.ops.aten.empty_like}


class _ElementsWritten(TorchDispatchMode):
    """Counts the tensor elements that every aten op writes (its outputs, or the target of an in-place
    copy; views and uninitialised allocations write nothing): a timing-free measure of the work and
    copying a decode loop does."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if not func.is_view and func.overloadpacket not in _ALLOCATIONS:
            self.count += sum(x.numel() for x in tree_leaves(out) if isinstance(x, torch.Tensor))
        return out


def elements_per_step(decode, model, source_len: int = 40) -> tuple[float, float]:
    """Elements written per output step over steps 40→80 and 80→160 (every output runs to its budget)."""
    torch.manual_seed(0)
    src = torch.randint(4, VOCAB, (2, source_len))
    lengths = torch.tensor([source_len, source_len - 7])
    written = {}
    for steps in (40, 80, 160):
        with _ElementsWritten() as counter:
            res = decode(model, src, lengths, torch.full((2,), steps))
        assert res.tokens.size(-1) == steps
        written[steps] = counter.count
    return (written[80] - written[40]) / 40, (written[160] - written[80]) / 80


DECODERS = {
    "greedy": lambda m, s, n, b: greedy_search(m, s, n, b),
    "sample": lambda m, s, n, b: sample(m, s, n, b, generator=torch.Generator().manual_seed(0)),
    "beam": lambda m, s, n, b: beam_search(m, s, n, b, beam_size=4, n_best=2, penalty="gnmt", min_len=3),
    "beam_coverage_keep_greedy": lambda m, s, n, b: beam_search(m, s, n, b, beam_size=3, coverage_beta=0.2,
                                                                keep_greedy=True),
}


@pytest.mark.parametrize("name", DECODERS)
def test_work_per_step_does_not_grow_with_the_output(eos_suppressed_model, name):
    """Nothing per step may be proportional to the steps so far: re-copying the attention history every
    step (as beam search once did) doubles the per-step work from the 40-80 window to the 80-160 one."""
    early, late = elements_per_step(DECODERS[name], eos_suppressed_model)
    assert late <= 1.2 * early, f"{name}: {early:.0f} elements/step at steps 40-80, {late:.0f} at 80-160"


def test_step_history_appends_without_recopying():
    steps = [torch.full((3, 2), float(i)) for i in range(1000)]
    history = StepHistory(steps[0], limit=1000)
    for x in steps:
        history.append(x)
    assert torch.equal(history.view(), torch.stack(steps))
    assert history.reallocations <= 7  # 16 → 32 → … → 1000: the buffer doubles, it never grows per step
    assert history.buffer.size(0) == 1000  # and never past the limit


@pytest.mark.parametrize("coverage_beta", [0.0, 0.4])
def test_keep_attention_false_keeps_no_history_and_changes_nothing_else(coverage_beta):
    """predict never shows attention, so it asks for none: the (B·beam, T, S) history of a long line is not
    held, and tokens and scores (coverage penalty included, which sums attention as it goes) are the same."""
    model = make_model(3, attention="general")
    src, lengths, budget = search_inputs(make_batch(3))
    runs = {
        "greedy": lambda keep: greedy_search(model, src, lengths, budget, keep_attention=keep),
        "sample": lambda keep: sample(model, src, lengths, budget, generator=torch.Generator().manual_seed(0),
                                      keep_attention=keep),
        "beam": lambda keep: beam_search(model, src, lengths, budget, beam_size=3, n_best=2,
                                         coverage_beta=coverage_beta, keep_attention=keep),
    }
    for name, run in runs.items():
        kept, dropped = run(True), run(False)
        assert kept.attention is not None and dropped.attention is None, name
        assert torch.equal(kept.tokens, dropped.tokens), name
        assert torch.equal(kept.scores, dropped.scores), name
