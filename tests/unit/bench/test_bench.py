"""``python -m seq2seq.bench``: a tiny run reports every figure, and the hand-written reference computes
exactly the framework's model (same loss from the same weights, same greedy outputs)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import ROOT, compose_cfg

from seq2seq.bench.config import split_config
from seq2seq.bench.reference import greedy
from seq2seq.bench.run import run_bench
from seq2seq.bench.weights import build_reference, check_reference_config, copy_weights
from seq2seq.data.pairs.collate import collate_pairs
from seq2seq.errors import ConfigError
from seq2seq.models.search import greedy_search
from seq2seq.tasks.seq2seq.module import Seq2SeqTask
from seq2seq.tokenizers import PAD

TINY_MODEL = ["model.embedding_dim=8", "model.hidden_size=8", "model.decoder_hidden_size=16",
              "model.encoder_layers=2", "model.decoder_layers=2"]


def bench_overrides(tmp_path, *extra: str) -> list[str]:
    return [f"data.path={ROOT / 'data' / 'eng-fra.tsv'}", "data.valid_size=20", "data.test_size=20",
            "data.batch_size=8", f"paths.output_dir={tmp_path}", f"paths.cache_dir={tmp_path / 'cache'}",
            *TINY_MODEL, "bench.warmup_steps=2", "bench.steps=4", "bench.window=2", "bench.train_pairs=300",
            "bench.decode_sentences=6", "bench.force_len=5", "bench.beam_size=2", "bench.device=cpu",
            "bench.threads=1", *extra]


def test_tiny_bench_run_reports_every_figure(tmp_path, capsys):
    run_bench(compose_cfg("bench", bench_overrides(tmp_path, "model.input_feed=true")), ["seq2seq.bench", "test"])
    table = capsys.readouterr().out
    assert "| system | setting | train tgt tok/s | ratio to reference | peak MiB | greedy sent/s | beam-2 sent/s |" in table
    result = json.loads((tmp_path / "bench.json").read_text())
    assert result["command"] == ["seq2seq.bench", "test"]
    assert {"cpu", "torch", "torch_threads", "device_name"} <= set(result["machine"])
    assert result["data"]["pairs"]["train"] == 300 and result["data"]["prepare_seconds"] > 0
    fw, ref = result["rows"]
    assert (fw["system"], ref["system"]) == ("seq2seq", "reference")
    for row in (fw, ref):
        assert row["train"]["tok_s_median_window"] > 0 and row["train"]["steps"] == 6
        assert len(row["train"]["window_tok_s"]) == 2 and row["memory"]["peak_mb"] > 0
        assert row["decode"]["greedy"]["sent_s"] > 0 and row["decode"]["greedy"]["sentences"] == 6
        assert row["decode"]["greedy"]["mean_out_tokens"] == 5  # forced length
    assert fw["decode"]["beam2"]["sent_s"] > 0
    assert result["ratios"]["train_tok_s"] > 0 and result["ratios"]["greedy_sent_s"] > 0
    # Same initial weights, same batches: the two systems train identically.
    assert fw["train"]["loss_last"] == pytest.approx(ref["train"]["loss_last"], abs=1e-4)


def padded_batch(src_vocab: int, tgt_vocab: int):
    rng = np.random.default_rng(0)
    items = [(i, rng.integers(4, src_vocab, n), rng.integers(4, tgt_vocab, m))
             for i, (n, m) in enumerate([(7, 5), (3, 8), (5, 2), (1, 6)])]
    return collate_pairs(items)


@pytest.mark.parametrize("input_feed", [False, True])
def test_reference_computes_the_framework_model(input_feed):
    torch.manual_seed(0)
    cfg, _ = split_config(compose_cfg("bench", [*TINY_MODEL, f"model.input_feed={input_feed}", "paths.output_dir=.",
                                                "paths.cache_dir=null"]))
    framework = Seq2SeqTask(cfg["model"], cfg["optim"], cfg["scheduler"], cfg["decoding"], cfg["loss"], cfg["logger"],
                            13, 17, cfg["teacher_forcing"]).model.eval()  # built as training builds it
    reference = build_reference(cfg["model"], 13, 17).eval()
    copy_weights(framework, reference)
    batch = padded_batch(13, 17)
    assert (batch["tgt_out"] == PAD).any() and (batch["src"] == PAD).any()
    with torch.no_grad():
        fw_logits, _ = framework(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
        ref_logits = reference(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
    fw_loss = F.cross_entropy(fw_logits.flatten(0, 1), batch["tgt_out"].flatten(), ignore_index=PAD)
    ref_loss = F.cross_entropy(ref_logits.flatten(0, 1), batch["tgt_out"].flatten(), ignore_index=PAD)
    assert float(ref_loss) == pytest.approx(float(fw_loss), abs=1e-5)
    budget = torch.tensor([6, 9, 4, 7])
    expected = greedy_search(framework, batch["src"], batch["src_lengths_cpu"], budget, min_len=3).tokens[:, 0]
    assert torch.equal(greedy(reference, batch["src"], batch["src_lengths_cpu"], budget, min_len=3), expected)


def test_bench_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="multiple of bench.window"):
        run_bench(compose_cfg("bench", bench_overrides(tmp_path, "bench.warmup_steps=3")))
    cfg = compose_cfg("bench", bench_overrides(tmp_path, "model.attention=bahdanau"))
    with pytest.raises(ConfigError, match="model.attention=general"):
        run_bench(cfg)
    train_cfg, _ = split_config(compose_cfg("bench", bench_overrides(tmp_path, "optim.name=sgd")))
    with pytest.raises(ConfigError, match="optim.name=adam"):
        check_reference_config(train_cfg)


def test_framework_alone_when_the_reference_cannot_follow(tmp_path, capsys):
    """bench.reference=false times any seq2seq model, e.g. one the hand-written loop does not implement."""
    result = run_bench(compose_cfg("bench", bench_overrides(tmp_path, "bench.reference=false", "model.attention=bahdanau",
                                                             "bench.out=null")))
    assert [r["system"] for r in result["rows"]] == ["seq2seq"] and result["ratios"] == {}
    assert "| seq2seq |" in capsys.readouterr().out and not (tmp_path / "bench.json").exists()
