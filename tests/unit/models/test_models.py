"""Properties of the encoder, bridges, attention and decoder (not shapes).

Tiny float64 models in eval mode with dropout 0, so that batched and unbatched computations can be
compared at 1e-6 (in practice they agree to ~1e-15).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from conftest import model_from_schema

from seq2seq.data.pairs.collate import collate_pairs
from seq2seq.models.attention import Attention
from seq2seq.models.bridge import Bridge
from seq2seq.models.search import beam_search, greedy_search, max_lengths
from seq2seq.models.seq2seq import Seq2SeqModel
from seq2seq.tasks.seq2seq.config import Seq2SeqModelConfig
from seq2seq.tokenizers import BOS, EOS, PAD

VOCAB = 11
TOL = {"rtol": 0.0, "atol": 1e-6}
CELLS = ("rnn", "lstm", "gru")
ATTENTIONS = ("none", "bahdanau", "dot", "general", "concat")
# (cell, attention, input_feed) of the coverage models the parametrised properties also run on
COVERAGE_CONFIGS = [("gru", "bahdanau", False), ("lstm", "concat", True), ("rnn", "dot", False),
                    ("lstm", "general", False), ("gru", "general", True)]


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: one intra-op thread is fastest, and on a busy machine two threads spinning at every
    op's barrier can make these tests ~20x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# Unsorted, with an empty source (only EOS) and an empty target (only BOS / EOS).
SRC_LENGTHS = (4, 0, 7, 2)
TGT_LENGTHS = (3, 5, 0, 6)


def make_model(seed: int = 0, cell: str = "gru", attention: str = "general", input_feed: bool = False,
               bidirectional: bool = True, bridge: str = "copy", encoder_layers: int = 2,
               decoder_layers: int = 2, hidden_size: int = 5, **kwargs) -> Seq2SeqModel:
    torch.manual_seed(seed)
    model = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, VOCAB, VOCAB, cell=cell, embedding_dim=4, hidden_size=hidden_size,
                         encoder_layers=encoder_layers, decoder_layers=decoder_layers,
                         bidirectional=bidirectional, attention=attention, input_feed=input_feed,
                         bridge=bridge, dropout=0.0, **kwargs)
    return activate_coverage(model).double().eval()


def activate_coverage(model: Seq2SeqModel) -> Seq2SeqModel:
    """Dot/general coverage weights start at 0 (no effect); give them a value so tests exercise them."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("coverage_weight"):
                param.fill_(-0.7)
    return model


def make_pairs(seed: int = 0, src_lengths=SRC_LENGTHS, tgt_lengths=TGT_LENGTHS):
    rng = np.random.default_rng(seed)
    return [(i, rng.integers(4, VOCAB, size=s), rng.integers(4, VOCAB, size=t))
            for i, (s, t) in enumerate(zip(src_lengths, tgt_lengths))]


def run(model: Seq2SeqModel, batch):
    with torch.no_grad():
        source, state = model.encode(batch["src"], batch["src_lengths_cpu"])
        logits, attn = model(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
    return source, state, logits, attn


def assert_padding_invariant(model: Seq2SeqModel, pairs) -> None:
    batch = collate_pairs(pairs)
    assert (batch["src_lengths"] != batch["src_lengths"].max()).any(), "the batch must actually be padded"
    b_source, b_state, b_logits, b_attn = run(model, batch)
    for i, pair in enumerate(pairs):
        single = collate_pairs([pair])
        s, t = single["src"].size(1), single["tgt_in"].size(1)
        source, state, logits, attn = run(model, single)
        # Encoder memory at real positions; exact zeros at padding.
        torch.testing.assert_close(b_source.memory[i, :s], source.memory[0], **TOL)
        assert torch.equal(b_source.memory[i, s:], torch.zeros_like(b_source.memory[i, s:]))
        assert b_source.mask[i].tolist() == [True] * s + [False] * (b_source.mask.size(1) - s)
        # Encoder final state through the bridge: the decoder's initial state.
        for bh, h in zip(b_state.hidden, state.hidden, strict=True):
            torch.testing.assert_close(bh[:, i], h[:, 0], **TOL)
        if state.feed is not None:
            torch.testing.assert_close(b_state.feed[i], state.feed[0], **TOL)
        # Teacher-forced logits and attention on the real target positions.
        torch.testing.assert_close(b_logits[i, :t], logits[0], **TOL)
        if attn is None:
            assert b_attn is None
        else:
            torch.testing.assert_close(b_attn[i, :t, :s], attn[0], **TOL)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("input_feed", [False, True], ids=["nofeed", "feed"])
@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_padding_invariance(cell, attention, input_feed, bidirectional):
    seed = CELLS.index(cell) * 100 + ATTENTIONS.index(attention) * 10 + 2 * input_feed + bidirectional
    model = make_model(seed, cell, attention, input_feed, bidirectional)
    assert_padding_invariant(model, make_pairs(seed))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cell": "lstm", "bidirectional_merge": "sum", "attention": "dot"},
        {"cell": "lstm", "bridge": "dense", "attention": "bahdanau", "input_feed": True},
        {"cell": "gru", "bridge": "zero", "attention": "general"},
        # copy bridge with a projection (decoder size 7 != memory size 10)
        {"cell": "rnn", "decoder_hidden_size": 7, "attention": "general", "input_feed": True},
        {"cell": "gru", "encoder_layers": 3, "decoder_layers": 1, "attention": "bahdanau"},
        {"cell": "lstm", "encoder_layers": 1, "decoder_layers": 3, "attention": "general",
         "bidirectional": False},
        {"cell": "rnn", "rnn_nonlinearity": "relu", "attention": "dot"},
        *({"cell": cell, "attention": attention, "input_feed": feed, "coverage": True}
          for cell, attention, feed in COVERAGE_CONFIGS),
    ],
    ids=["sum-merge", "dense", "zero", "copy-proj", "enc-deeper", "enc-shallower", "relu",
         *(f"coverage-{a}-{c}-{'feed' if f else 'nofeed'}" for c, a, f in COVERAGE_CONFIGS)],
)
def test_padding_invariance_other_configs(kwargs):
    assert_padding_invariant(make_model(7, **kwargs), make_pairs(7))


@pytest.mark.parametrize(("cell", "attention", "input_feed", "coverage"),
                         [*((c, a, f, False) for c, a, f in itertools.product(CELLS, ATTENTIONS, [False, True])),
                          *((c, a, f, True) for c, a, f in COVERAGE_CONFIGS)])
def test_teacher_forcing_matches_incremental_steps(cell, attention, input_feed, coverage):
    """The one-call fast path (and the input-feeding loop, and the coverage attention loop) equal stepping
    the decoder token by token."""
    model = make_model(3, cell, attention, input_feed, coverage=coverage)
    batch = collate_pairs(make_pairs(3))
    source, state, logits, attn = run(model, batch)
    with torch.no_grad():
        for t in range(batch["tgt_in"].size(1)):
            out, step_attn, state = model.decoder.step(batch["tgt_in"][:, t], state, source.memory,
                                                       source.keys, source.mask)
            torch.testing.assert_close(model.generator(out[:, 0]), logits[:, t], rtol=0.0, atol=1e-10)
            if attn is not None:
                torch.testing.assert_close(step_attn[:, 0], attn[:, t], rtol=0.0, atol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_bidirectional_final_state_matches_memory(cell, layers):
    """Merged final state of the top layer = [forward output at the last real token; backward output at 0]."""
    model = make_model(5, cell, encoder_layers=layers)
    batch = collate_pairs(make_pairs(5))
    with torch.no_grad():
        enc = model.encoder(batch["src"], batch["src_lengths_cpu"])
    h = enc.state[0]  # hidden (not cell) state, (layers, B, 2H)
    half = h.size(-1) // 2
    for i, n in enumerate(batch["src_lengths"].tolist()):
        torch.testing.assert_close(h[-1, i, :half], enc.memory[i, n - 1, :half], **TOL)
        torch.testing.assert_close(h[-1, i, half:], enc.memory[i, 0, half:], **TOL)


# ---------------------------------------------------------------------------------------------- attention


def assert_attention_distribution(attn: torch.Tensor, src_lengths: torch.Tensor) -> None:
    """attn (B, T, S): sums to 1 over the real positions, exactly 0 on padded ones."""
    assert attn is not None
    for i, n in enumerate(src_lengths.tolist()):
        total = attn[i, :, :n].sum(-1)
        torch.testing.assert_close(total, torch.ones_like(total), rtol=0.0, atol=1e-12)
        assert (attn[i, :, :n] >= 0).all()
        assert torch.equal(attn[i, :, n:], torch.zeros_like(attn[i, :, n:])), "attention leaks onto padding"


@pytest.mark.parametrize("input_feed", [False, True], ids=["nofeed", "feed"])
@pytest.mark.parametrize("attention", ATTENTIONS[1:])
def test_attention_weights_teacher_forced_and_searched(attention, input_feed):
    model = make_model(11, "lstm", attention, input_feed)
    pairs = make_pairs(11, src_lengths=(6, 1, 3, 0, 9), tgt_lengths=(2, 4, 1, 3, 5))
    batch = collate_pairs(pairs)
    _, _, _, attn = run(model, batch)
    assert_attention_distribution(attn, batch["src_lengths"])
    budget = max_lengths(batch["src_lengths"], 1.5, 2, 20)
    greedy = greedy_search(model, batch["src"], batch["src_lengths_cpu"], budget)
    assert greedy.attention.shape[:2] == greedy.tokens[:, 0].shape
    assert_attention_distribution(greedy.attention, batch["src_lengths"])
    beam = beam_search(model, batch["src"], batch["src_lengths_cpu"], budget, beam_size=3, n_best=2)
    assert_attention_distribution(beam.attention, batch["src_lengths"])


@pytest.mark.parametrize("kind", ATTENTIONS[1:])
def test_attention_ignores_whatever_sits_in_padding(kind):
    """Garbage (huge values) in padded memory changes neither the weights nor the attentional vectors."""
    torch.manual_seed(0)
    attention = Attention(kind, 6, 6).double()
    query, memory = torch.randn(3, 4, 6, dtype=torch.double), torch.randn(3, 5, 6, dtype=torch.double)
    lengths = torch.tensor([5, 2, 1])
    mask = torch.arange(5) < lengths.unsqueeze(1)
    garbage = memory.masked_fill(mask.unsqueeze(-1), 0.0) * 1e3 + memory
    with torch.no_grad():
        out, weights = attention(query, memory, attention.keys(memory), mask)
        out_g, weights_g = attention(query, garbage, attention.keys(garbage), mask)
        for i, n in enumerate(lengths.tolist()):
            mem = memory[i : i + 1, :n]
            alone, w_alone = attention(query[i : i + 1], mem, attention.keys(mem), mask[i : i + 1, :n])
            torch.testing.assert_close(out[i], alone[0], **TOL)
            torch.testing.assert_close(weights[i, :, :n], w_alone[0], **TOL)
    torch.testing.assert_close(out_g, out, **TOL)
    assert torch.equal(weights_g, weights)
    assert_attention_distribution(weights, lengths)


# ----------------------------------------------------------------------------------------------- bridges


def random_state(n_states: int, layers: int, batch: int, size: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(layers, batch, size, generator=g) for _ in range(n_states))


@pytest.mark.parametrize("n_states", [1, 2], ids=["h", "h+c"])
def test_zero_bridge_gives_zeros(n_states):
    bridge = Bridge("zero", n_states, enc_layers=3, enc_size=6, dec_layers=2, dec_size=4)
    out = bridge(random_state(n_states, 3, 5, 6))
    assert len(out) == n_states
    for s in out:
        assert s.shape == (2, 5, 4)
        assert torch.equal(s, torch.zeros_like(s))
    assert not list(bridge.parameters())


@pytest.mark.parametrize(
    ("enc_layers", "dec_layers", "expected"),
    [
        (2, 2, [0, 1]),  # same depth: layer i -> layer i
        (3, 2, [1, 2]),  # encoder deeper: the top layers
        (4, 1, [3]),
        (1, 3, [0, 0, 0]),  # encoder shallower: the top layer repeated
        (2, 3, [0, 1, 1]),
    ],
)
@pytest.mark.parametrize("n_states", [1, 2], ids=["h", "h+c"])
def test_copy_bridge_copies_layers(enc_layers, dec_layers, expected, n_states):
    bridge = Bridge("copy", n_states, enc_layers=enc_layers, enc_size=6, dec_layers=dec_layers, dec_size=6)
    assert not list(bridge.parameters()), "equal sizes need no projection"
    state = random_state(n_states, enc_layers, 3, 6)
    out = bridge(state)
    assert len(out) == n_states
    for s, o in zip(state, out, strict=True):
        assert torch.equal(o, s[expected])
        assert o.is_contiguous()


def test_copy_bridge_projects_when_sizes_differ():
    bridge = Bridge("copy", 2, enc_layers=3, enc_size=6, dec_layers=2, dec_size=4)
    state = random_state(2, 3, 5, 6)
    with torch.no_grad():
        out = bridge(state)
        for k, (s, o) in enumerate(zip(state, out, strict=True)):
            assert o.shape == (2, 5, 4)
            torch.testing.assert_close(o, bridge.proj[k](s[[1, 2]]))


@pytest.mark.parametrize(("enc_layers", "dec_layers"), [(1, 1), (3, 2), (1, 3)])
@pytest.mark.parametrize("n_states", [1, 2], ids=["h", "h+c"])
def test_dense_bridge(enc_layers, dec_layers, n_states):
    torch.manual_seed(0)
    bridge = Bridge("dense", n_states, enc_layers=enc_layers, enc_size=6, dec_layers=dec_layers, dec_size=4)
    state = random_state(n_states, enc_layers, 5, 6)
    with torch.no_grad():
        out = bridge(state)
        assert len(out) == n_states
        for k, (s, o) in enumerate(zip(state, out, strict=True)):
            assert o.shape == (dec_layers, 5, 4)
            assert o.is_contiguous() and (o.abs() < 1).all()
            # Row b, decoder layer j = tanh(W [s_0; s_1; ...] + b)[j·4 : (j+1)·4], no mixing across the batch.
            flat = torch.cat([s[layer] for layer in range(enc_layers)], dim=-1)
            expected = torch.tanh(bridge.proj[k](flat)).view(5, dec_layers, 4).transpose(0, 1)
            torch.testing.assert_close(o, expected)
            # Every decoder layer depends on the bottom encoder layer.
            bumped = tuple(t.clone() for t in state)
            bumped[k][0] += 1.0
            changed = bridge(bumped)[k]
            assert ((changed - o).abs().amax(dim=(1, 2)) > 0).all()


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("enc_layers", "dec_layers"), [(2, 2), (3, 2), (1, 2)])
def test_model_copy_bridge_feeds_encoder_final_state(cell, enc_layers, dec_layers):
    model = make_model(9, cell, encoder_layers=enc_layers, decoder_layers=dec_layers)
    batch = collate_pairs(make_pairs(9))
    with torch.no_grad():
        enc = model.encoder(batch["src"], batch["src_lengths_cpu"])
        _, state = model.encode(batch["src"], batch["src_lengths_cpu"])
    idx = [min(enc_layers - 1, max(0, enc_layers - dec_layers) + i) for i in range(dec_layers)]
    assert len(state.hidden) == (2 if cell == "lstm" else 1)
    for e, d in zip(enc.state, state.hidden, strict=True):
        assert torch.equal(d, e[idx])


def test_model_zero_bridge_starts_from_zeros():
    model = make_model(2, "lstm", bridge="zero")
    batch = collate_pairs(make_pairs(2))
    with torch.no_grad():
        _, state = model.encode(batch["src"], batch["src_lengths_cpu"])
    for h in state.hidden:
        assert torch.equal(h, torch.zeros_like(h))


def test_specials_are_the_agreed_ids():
    assert (PAD, BOS, EOS) == (0, 1, 2)


def test_tied_and_shared_embeddings_are_one_tensor_and_still_padding_invariant():
    import numpy as np

    from seq2seq.data.pairs.collate import collate_pairs

    torch.manual_seed(0)
    model = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, 12, 12, embedding_dim=6, hidden_size=5, encoder_layers=1,
                              decoder_layers=1, dropout=0.0, tie_embeddings=True,
                              share_embeddings=True).double().eval()
    assert model.generator.out.weight is model.decoder.embedding.weight is model.encoder.embedding.weight
    assert model.generator.proj is not None  # decoder size 10 != embedding 6: projected first
    names = {n for n, _ in model.named_parameters()}
    assert not any(n.startswith("decoder.embedding") for n in names)  # counted once
    items = [(0, np.array([4, 5, 6, 7]), np.array([8, 9])), (1, np.array([5]), np.array([4, 5, 6]))]
    both, _ = model(*[collate_pairs(items)[k] for k in ("src", "src_lengths_cpu", "tgt_in")])
    alone, _ = model(*[collate_pairs(items[1:])[k] for k in ("src", "src_lengths_cpu", "tgt_in")])
    assert torch.allclose(both[1, :4], alone[0], atol=1e-10)
    with pytest.raises(ValueError, match="one vocabulary"):
        model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, 12, 13, share_embeddings=True)


@pytest.mark.parametrize("input_feed", [False, True])
def test_scheduled_sampling_at_ratio_one_equals_teacher_forcing(input_feed):
    import numpy as np

    from seq2seq.data.pairs.collate import collate_pairs

    torch.manual_seed(1)
    model = model_from_schema(Seq2SeqModel, Seq2SeqModelConfig, 10, 10, embedding_dim=6, hidden_size=5, encoder_layers=1,
                              decoder_layers=1, dropout=0.0, input_feed=input_feed).double().eval()
    batch = collate_pairs([(0, np.array([4, 5, 6]), np.array([7, 8, 9])), (1, np.array([5]), np.array([4, 5]))])
    args = batch["src"], batch["src_lengths_cpu"], batch["tgt_in"]
    forced, _ = model(*args)
    assert torch.allclose(model.forward_sampled(*args, ratio=1.0)[0], forced, atol=1e-10)
    # ratio 0: every input after the first is the model's own previous argmax
    free, _ = model.forward_sampled(*args, ratio=0.0)
    fed = torch.cat([batch["tgt_in"][:, :1], free.argmax(-1)[:, :-1]], dim=1)
    refed, _ = model(batch["src"], batch["src_lengths_cpu"], fed)
    assert torch.allclose(free, refed, atol=1e-10)


def test_teacher_forcing_schedules_decay_from_the_ratio():
    from seq2seq.tasks.seq2seq.module import teacher_forcing_ratio

    def series(schedule):
        tf = {"ratio": 1.0, "schedule": schedule, "k": 100.0, "min_ratio": 0.1}
        return [teacher_forcing_ratio(tf, step) for step in (0, 50, 100, 1000)]

    assert series("constant") == [1.0] * 4
    assert series("linear") == pytest.approx([1.0, 0.5, 0.1, 0.1])
    assert series("exponential") == pytest.approx([1.0, 0.5 ** 0.5, 0.5, 0.1])
    assert series("inverse_sigmoid")[0] == pytest.approx(100 / 101) and series("inverse_sigmoid")[-1] == 0.1
