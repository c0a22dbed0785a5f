"""logger.histograms: parameter and gradient histograms in TensorBoard, written by BaseTask for every task."""

from __future__ import annotations

import pytest
from conftest import compose_cfg
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from seq2seq.errors import ConfigError
from seq2seq.train import train
from seq2seq.train_config import validate_train_config

pytestmark = pytest.mark.slow


def histogram_steps(run_dir) -> dict[str, list[int]]:
    acc = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"histograms": 0}).Reload()
    return {tag: [event.step for event in acc.Histograms(tag)] for tag in acc.Tags()["histograms"]}


def test_parameter_and_gradient_histograms_every_n_steps(train_overrides, tmp_path):
    train(compose_cfg("train", [*train_overrides, "logger.histograms=true", "logger.histogram_every_n_steps=2",
                                "test_after_fit=false"]))
    steps = histogram_steps(tmp_path / "run")
    for name in ("model.encoder.embedding.weight", "model.decoder.rnn.weight_hh_l0", "model.generator.out.bias"):
        assert steps[f"params/{name}"] == [0, 2, 4], steps.get(f"params/{name}")  # debug=fast: 5 steps
        assert steps[f"grads/{name}"] == [0, 2, 4]


def test_language_model_with_manual_optimisation_writes_them_too(tmp_path):
    """task=lm steps its optimizer itself (truncated BPTT); the hook still runs at each optimizer step."""
    from conftest import LM_TEXT as TEXT
    from conftest import lm_overrides

    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT * 4, encoding="utf-8")
    train(compose_cfg("train", lm_overrides(tmp_path, corpus, "trainer.max_epochs=1", "logger.histograms=true",
                                            "logger.histogram_every_n_steps=3", "test_after_fit=false")))
    steps = histogram_steps(tmp_path / "run")
    grads = [tag for tag in steps if tag.startswith("grads/")]
    assert grads and all(steps[tag][:2] == [0, 3] for tag in grads), steps


@pytest.mark.parametrize("overrides,message", [
    (["logger=none", "logger.histograms=true"], "logger.histograms=true .* set logger.tensorboard=true"),
    (["logger.histogram_every_n_steps=0"], "bad value for 'logger.histogram_every_n_steps': 0; must be >= 1"),
])
def test_histogram_config_mistakes(overrides, message):
    base = ["paths.output_dir=/tmp/seq2seq-test-run", "paths.cache_dir=null"]
    with pytest.raises(ConfigError, match=message):
        validate_train_config(compose_cfg("train", [*base, *overrides]))
