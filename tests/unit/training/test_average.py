"""Checkpoint averaging: the mean of the weights, a checkpoint evaluate/seq2seq.load accept, kept
checkpoints of a run (callbacks.keep_last_n), and one-line refusals of checkpoints of different models."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import compose_cfg, run_cli

import seq2seq
from seq2seq.average import average, kept_checkpoints
from seq2seq.errors import CheckpointError, ConfigError


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A 3-epoch tiny translation run keeping the checkpoints of its last 2 validations."""
    from conftest import make_reversal_pairs

    from seq2seq.train import train

    tmp = tmp_path_factory.mktemp("avg")
    corpus = tmp / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(100)), encoding="utf-8")
    train(compose_cfg("train", [f"data.path={corpus}", "data.valid_size=10", "data.test_size=10",
                                "data.batch_size=16", "debug=fast", "trainer.max_epochs=3", "trainer.accelerator=cpu",
                                "callbacks.keep_last_n=2", "test_after_fit=false", "logger=none",
                                f"paths.output_dir={tmp / 'run'}", f"paths.cache_dir={tmp / 'cache'}"]))
    return tmp / "run"


def weights(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def test_keep_last_n_keeps_the_last_validations_and_average_is_their_mean(run, tmp_path):
    kept = kept_checkpoints(run)
    assert [p.name for p in kept] == ["step-10.ckpt", "step-15.ckpt"]  # 5 steps an epoch; the first one dropped
    out = average({"ckpts": None, "run_dir": str(run), "last": 2, "out": str(tmp_path / "avg.ckpt")})
    a, b, avg = weights(kept[0]), weights(kept[1]), weights(out)
    assert set(avg) == set(a)
    differing = 0
    for key in a:
        assert avg[key].dtype == a[key].dtype
        torch.testing.assert_close(avg[key], (a[key].double() + b[key].double()).div(2).to(a[key].dtype),
                                   rtol=0, atol=1e-7)
        differing += not torch.equal(a[key], b[key])
    assert differing > 0  # the two checkpoints are different models, so the mean is not trivially one of them
    assert set(seq2seq.load(kept[1]).info()["metrics"]) == {"epoch", "global_step", "best val/chrf"}
    saved = torch.load(out, weights_only=True)
    assert "optimizer_states" not in saved and saved["seq2seq"]["averaged_from"] == [str(p) for p in kept]


def test_evaluate_and_load_accept_the_averaged_checkpoint(run, tmp_path):
    from seq2seq.evaluate import evaluate

    out = average({"ckpts": [str(p) for p in kept_checkpoints(run)], "run_dir": None, "last": None,
                   "out": str(tmp_path / "avg.ckpt")})
    metrics = evaluate(compose_cfg("evaluate", [f"ckpt_path={out}", f"output_dir={tmp_path / 'eval'}", "device=cpu",
                                                "decoding.beam_size=1"]))
    assert metrics["examples"] == 10 and metrics["loss"] > 0
    predictor = seq2seq.load(out)
    for key, value in weights(out).items():
        assert torch.equal(predictor.model.state_dict()[key.removeprefix("model.")], value)


def altered(src: Path, dst: Path, change) -> Path:
    ckpt = torch.load(src, weights_only=True)
    change(ckpt)
    torch.save(ckpt, dst)
    return dst


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["seq2seq"].update(kind="classify"), "a classify checkpoint"),
    (lambda c: c["hyper_parameters"]["model"].update(hidden_size=7), "hyper-parameter 'model' differs"),
    (lambda c: c["seq2seq"]["tokenizers"]["source"]["itos"].reverse(), "tokenizers differ"),  # same size, other ids
    (lambda c: c["state_dict"].pop(next(iter(c["state_dict"]))), "no parameter"),
])
def test_checkpoints_of_different_models_are_refused_in_one_line(run, tmp_path, change, message):
    first, second = kept_checkpoints(run)
    other = altered(second, tmp_path / "other.ckpt", change)
    with pytest.raises(CheckpointError, match=message) as err:
        average({"ckpts": [str(first), str(other)], "run_dir": None, "last": None, "out": str(tmp_path / "x.ckpt")})
    assert "\n" not in str(err.value) and not (tmp_path / "x.ckpt").exists()


def test_bad_requests_are_one_line_errors(run, tmp_path):
    base = {"ckpts": None, "run_dir": str(run), "last": 3, "out": None}
    with pytest.raises(ConfigError, match="keep_last_n=3"):
        average(base)
    with pytest.raises(ConfigError, match="at least 2"):
        average({**base, "run_dir": None, "ckpts": [str(run / "checkpoints" / "best.ckpt")], "out": "x.ckpt"})
    result = run_cli("seq2seq.average", ["ckpts=[a.ckpt,b.ckpt]", f"out={tmp_path / 'o.ckpt'}"], tmp_path)
    assert result.returncode == 2
    expected = f"error: {tmp_path / 'a.ckpt'}: no such checkpoint file; pass ckpt_path=<run>/checkpoints/best.ckpt"
    assert result.stderr.strip().splitlines() == [expected]
