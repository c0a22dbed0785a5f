"""Reader, splits, length filter, bucketing sampler and collate."""

from __future__ import annotations

import numpy as np
import pytest

from seq2seq.data.normalize import normalize_text
from seq2seq.data.pairs.collate import collate_pairs
from seq2seq.data.pairs.preparation import PairSplit, filter_by_length
from seq2seq.data.pairs.reader import read_parallel_tsv
from seq2seq.data.ragged import Ragged
from seq2seq.data.sampler import BucketBatchSampler
from seq2seq.data.split import split_indices
from seq2seq.errors import ConfigError, DataError
from seq2seq.tokenizers import BOS, EOS, PAD


def test_reader_columns_reverse_normalisation(tmp_path):
    path = tmp_path / "p.tsv"
    # decomposed é (e + U+0301), a no-break space, and an extra attribution column
    path.write_text("Cafe\u0301\u00a0ici !\tcafé here\tCC-BY\n\nHello\tBonjour\n", encoding="utf-8")
    src, tgt, report = read_parallel_tsv(path)
    assert src == ["Café ici !", "Hello"] and tgt == ["café here", "Bonjour"]
    assert report.read == 2 and report.blank == 1
    src, tgt, _ = read_parallel_tsv(path, reverse=True, lowercase=True)
    assert src == ["café here", "bonjour"] and tgt == ["café ici !", "hello"]
    src, tgt, report = read_parallel_tsv(path, src_col=2, tgt_col=0, on_error="skip")
    assert src == ["CC-BY"] and tgt == ["Café ici !"] and report.malformed == 1


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("a\tb\nno tab here\nc\td\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.tsv:2: expected at least 2 tab-separated columns.*data\.on_error=skip"):
        read_parallel_tsv(path)
    src, _, report = read_parallel_tsv(path, on_error="skip")
    assert src == ["a", "c"] and report.malformed == 1 and "1 malformed" in report.summary()


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_parallel_tsv(tmp_path / "nope.tsv")


def test_normalize_text_forms():
    assert normalize_text("  A\tb\u00a0 c ") == "A b c"
    assert normalize_text("ﬁ", "nfkc") == "fi"
    assert normalize_text("ﬁ", "none") == "ﬁ"


def test_split_is_seeded_disjoint_and_complete():
    a = split_indices(100, 0.1, 10, seed=3)
    b = split_indices(100, 0.1, 10, seed=3)
    assert a == b
    assert len(a["valid"]) == 10 and len(a["test"]) == 10 and len(a["train"]) == 80
    assert sorted(a["train"] + a["valid"] + a["test"]) == list(range(100))
    assert split_indices(100, 0.1, 10, seed=4)["test"] != a["test"]
    with pytest.raises(ConfigError, match="no training data"):
        split_indices(10, 5, 5, seed=0)


def _split(lengths_src, lengths_tgt) -> PairSplit:
    def ragged(lengths):
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        return Ragged(np.arange(offsets[-1]) % 7 + 4, offsets)

    n = len(lengths_src)
    return PairSplit([f"s{i}" for i in range(n)], [f"t{i}" for i in range(n)], ragged(lengths_src), ragged(lengths_tgt))


def test_length_filter_counts_and_keeps_alignment(caplog):
    split = _split([1, 5, 9, 3], [2, 12, 3, 0])
    with caplog.at_level("INFO"):
        kept = filter_by_length(split, 1, 10, "train")
    assert kept.src_text == ["s0", "s2"] and list(kept.tgt.lengths) == [2, 3]
    assert np.array_equal(kept.src[1], split.src[2])
    assert "dropped 2 of 4 pairs" in caplog.text


@pytest.mark.parametrize("batch_by,size", [("sentences", 4), ("tokens", 20)])
def test_bucket_sampler_covers_every_example_once(batch_by, size):
    lengths = np.random.default_rng(0).integers(1, 10, size=101)
    sampler = BucketBatchSampler(lengths, size, batch_by=batch_by, shuffle=True, seed=1, pool_batches=3)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(101))
    assert len(batches) == len(sampler)
    if batch_by == "tokens":
        assert all(len(b) * max(lengths[b]) <= size or len(b) == 1 for b in batches)
    sampler.set_epoch(1)
    assert list(sampler) != batches  # a new shuffle per epoch


def test_bucket_sampler_shards_ranks_evenly():
    lengths = np.arange(1, 24)
    shards = [list(BucketBatchSampler(lengths, 2, seed=5, num_replicas=3, rank=r)) for r in range(3)]
    assert len({len(s) for s in shards}) == 1  # same number of batches on every rank: no hang
    seen = {i for s in shards for b in s for i in b}
    assert seen == set(range(23))
    first = [tuple(b) for b in shards[0]]
    assert not set(first) & {tuple(b) for b in shards[1]}  # distinct batches (before the padding repeats)


def test_bucketing_groups_similar_lengths():
    lengths = np.random.default_rng(0).integers(1, 50, size=400)
    batches = list(BucketBatchSampler(lengths, 20, shuffle=True, seed=0, pool_batches=20))
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in batches])
    assert spread < 5


def test_collate_pads_and_adds_specials():
    batch = collate_pairs([(7, np.array([5, 6]), np.array([8])), (9, np.array([4]), np.array([9, 10, 11]))])
    assert batch["index"].tolist() == [7, 9]
    assert batch["src"].tolist() == [[5, 6, EOS], [4, EOS, PAD]]
    assert batch["src_lengths_cpu"].tolist() == [3, 2]
    assert batch["tgt_in"].tolist() == [[BOS, 8, PAD, PAD], [BOS, 9, 10, 11]]
    assert batch["tgt_out"].tolist() == [[8, EOS, PAD, PAD], [9, 10, 11, EOS]]


def test_lightning_reaches_set_epoch_of_the_bucket_sampler():
    from lightning.fabric.utilities.data import _set_sampler_epoch
    from torch.utils.data import DataLoader

    sampler = BucketBatchSampler(np.arange(1, 30), 4, seed=0)
    loader = DataLoader(list(range(29)), batch_sampler=sampler)
    first = list(loader.batch_sampler)
    _set_sampler_epoch(loader, 3)
    assert sampler.epoch == 3 and list(loader.batch_sampler) != first


def test_sampler_resumes_mid_epoch():
    sampler = BucketBatchSampler(np.arange(1, 41), 4, seed=0)
    sampler.set_epoch(2)
    full = list(sampler)
    sampler.resume_at(2, 3)
    assert list(sampler) == full[3:]
    assert list(sampler) == full  # only once


def test_embedded_corpus_is_exactly_what_its_generator_writes():
    import importlib.util

    from conftest import ROOT

    root = ROOT / "data"
    spec = importlib.util.spec_from_file_location("generate_eng_fra", root / "generate_eng_fra.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pairs = module.generate_pairs(4000, 13)
    lines = (root / "eng-fra.tsv").read_text(encoding="utf-8").splitlines()
    assert lines == [f"{en}\t{fr}" for en, fr in pairs]
    assert len({en for en, _ in pairs}) == 4000
