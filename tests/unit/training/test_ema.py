"""EMA of the weights (callbacks.ema): the update formula, validation and best.ckpt on the EMA weights,
training continuing on its own weights, and resume= continuing both bitwise."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import compose_cfg, make_reversal_pairs
from lightning.pytorch import Callback

from seq2seq.ema import EMA
from seq2seq.errors import ConfigError


def fake_trainer(step: int = 0, fn: str = "fit") -> SimpleNamespace:
    return SimpleNamespace(global_step=step, state=SimpleNamespace(fn=fn))


def test_update_formula_every_n_steps():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    ema = EMA(decay=0.9, every_n_steps=2)
    ema.on_fit_start(fake_trainer(), net)
    expected = {n: p.detach().clone() for n, p in net.named_parameters()}
    for step in range(1, 6):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p))
        ema.on_train_batch_end(fake_trainer(step), net, None, None, step - 1)
        if step % 2 == 0:
            expected = {n: 0.9 * expected[n] + 0.1 * p.detach() for n, p in net.named_parameters()}
    assert ema.updates == 2
    for name, value in expected.items():
        torch.testing.assert_close(ema.shadow[name], value, rtol=0, atol=1e-6)


def test_validation_swaps_the_ema_weights_in_and_training_weights_back_exactly():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    ema = EMA(decay=0.5)
    ema.on_fit_start(fake_trainer(), net)
    with torch.no_grad():
        net.weight.add_(1.0)
    ema.on_train_batch_end(fake_trainer(1), net, None, None, 0)
    training = {n: p.detach().clone() for n, p in net.named_parameters()}
    ema.on_validation_start(fake_trainer(1), net)
    for name, p in net.named_parameters():
        assert torch.equal(p, ema.shadow[name])
        assert torch.equal(p, training[name]) == (name == "bias")  # only the weight moved, by 1 → 0.5
    ema.on_train_batch_start(fake_trainer(1), net, None, 1)
    for name, p in net.named_parameters():
        assert torch.equal(p, training[name])
    ema.on_validation_start(fake_trainer(1, fn="validate"), net)  # outside fit: the model is left as it is
    assert all(torch.equal(p, training[n]) for n, p in net.named_parameters())


class Recorder(Callback):
    """The weights after every optimizer step, and the weights each validation batch runs with."""

    def __init__(self):
        self.start, self.steps, self.validated = None, [], []

    def _weights(self, module) -> dict:
        return {n: p.detach().clone() for n, p in module.named_parameters()}

    def on_fit_start(self, trainer, pl_module):
        self.start = self._weights(pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.steps.append(self._weights(pl_module))

    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0):
        if trainer.state.fn == "fit":
            self.validated.append(self._weights(pl_module))


def cfg_for(tmp: Path, run: str, *extra: str):
    corpus = tmp / "pairs.tsv"
    if not corpus.exists():
        corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(100)), encoding="utf-8")
    return compose_cfg("train", [f"data.path={corpus}", "data.valid_size=10", "data.test_size=10",
                                 "data.batch_size=16", "debug=fast", "trainer.accelerator=cpu", "logger=none",
                                 "trainer.deterministic=true", f"paths.output_dir={tmp / run}",
                                 f"paths.cache_dir={tmp / 'cache'}", *extra])


def test_a_short_run_validates_tests_and_saves_the_ema_weights(tmp_path, monkeypatch):
    import seq2seq.fit as fit_module  # the Lightning run behind train()
    from seq2seq.train import train

    recorder = Recorder()
    build = fit_module.build_callbacks
    monkeypatch.setattr(fit_module, "build_callbacks", lambda cfg, run_dir: [*build(cfg, run_dir), recorder])
    metrics = train(cfg_for(tmp_path, "run", "trainer.max_steps=3", "callbacks.ema.decay=0.5"))
    assert len(recorder.steps) == 3 and recorder.validated
    expected = dict(recorder.start)
    for weights in recorder.steps:
        expected = {n: 0.5 * expected[n] + 0.5 * weights[n] for n in expected}
    for name, value in expected.items():  # the validation ran on the average, not on the last weights
        torch.testing.assert_close(recorder.validated[-1][name], value, rtol=0, atol=1e-6)
    assert any(not torch.equal(recorder.steps[-1][n], expected[n]) for n in expected)
    best = torch.load(tmp_path / "run" / "checkpoints" / "best.ckpt", weights_only=True)
    state = best["callbacks"]["EMA"]
    for name, value in expected.items():
        torch.testing.assert_close(best["state_dict"][name], value, rtol=0, atol=1e-6)
        assert torch.equal(state["training"][name], recorder.steps[-1][name])
    assert state["updates"] == 3 and "test/loss" in metrics


def test_resume_continues_weights_and_average_bitwise(tmp_path):
    from seq2seq.train import train

    common = ("trainer.limit_train_batches=3", "trainer.max_epochs=2", "callbacks.ema.decay=0.7",
              "test_after_fit=false")
    train(cfg_for(tmp_path, "full", *common, "trainer.max_steps=6"))
    train(cfg_for(tmp_path, "half", *common, "trainer.max_steps=3"))
    train(cfg_for(tmp_path, "rest", *common, "trainer.max_steps=6",
                  f"ckpt_path={tmp_path / 'half' / 'checkpoints' / 'last.ckpt'}"))
    full = torch.load(tmp_path / "full" / "checkpoints" / "last.ckpt", weights_only=True)
    rest = torch.load(tmp_path / "rest" / "checkpoints" / "last.ckpt", weights_only=True)
    assert rest["global_step"] == full["global_step"] == 6
    for key, value in full["state_dict"].items():
        assert torch.equal(rest["state_dict"][key], value), key
    for part in ("shadow", "training"):
        for key, value in full["callbacks"]["EMA"][part].items():
            assert torch.equal(rest["callbacks"]["EMA"][part][key], value), (part, key)
    assert rest["callbacks"]["EMA"]["updates"] == 6


@pytest.mark.parametrize("bad", ["callbacks.ema.decay=1.0", "callbacks.ema.decay=-0.1",
                                 "callbacks.ema.every_n_steps=0"])
def test_out_of_range_values_are_refused(tmp_path, bad):
    from seq2seq.train_config import validate_train_config

    with pytest.raises(ConfigError, match=f"bad value for '{bad.split('=')[0]}'"):
        validate_train_config(cfg_for(tmp_path, "run", bad))


def test_decay_zero_or_null_is_off(tmp_path):
    from seq2seq.lifecycle import build_callbacks
    from seq2seq.train_config import validate_train_config

    for value in ("0", "null"):
        cfg = validate_train_config(cfg_for(tmp_path, "run", f"callbacks.ema.decay={value}"))
        assert not any(isinstance(cb, EMA) for cb in build_callbacks(cfg, tmp_path))


def test_a_tied_weight_is_saved_as_the_average_under_both_names():
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(5, 3)
            self.out = torch.nn.Linear(3, 5)
            self.out.weight = self.embedding.weight

    torch.manual_seed(0)
    net = Tied()
    ema = EMA(decay=0.5)
    ema.on_fit_start(fake_trainer(), net)
    with torch.no_grad():
        net.embedding.weight.add_(1.0)
    ema.on_train_batch_end(fake_trainer(1), net, None, None, 0)
    checkpoint = {"state_dict": net.state_dict(), "callbacks": {"EMA": ema.state_dict()}}
    ema.on_save_checkpoint(fake_trainer(1), net, checkpoint)
    saved = checkpoint["state_dict"]
    assert torch.equal(saved["embedding.weight"], ema.shadow["embedding.weight"])
    assert torch.equal(saved["out.weight"], ema.shadow["embedding.weight"])  # not the training weights
    assert torch.equal(checkpoint["callbacks"]["EMA"]["training"]["embedding.weight"], net.embedding.weight)
