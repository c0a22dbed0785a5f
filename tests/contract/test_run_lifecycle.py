"""The user contract of a training run, for every task: whatever its length or validation schedule, a run
ends with a validation after its last step, best.ckpt and last.ckpt (or, with validation off, last.ckpt
and a line saying so), and evaluate/predict work from the checkpoint alone. In-process ``train(cfg)``;
the CLIs themselves are covered once each in test_cli_contract.py."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from conftest import compose_cfg, tb_scalars
from tiny_runs import TASKS, task_overrides

from seq2seq.errors import ConfigError, RunError
from seq2seq.evaluate import evaluate
from seq2seq.predict import predict
from seq2seq.registry import task_kind
from seq2seq.train import train

# Every variant of a run a user tries first; the tiny runs have 4 training batches per epoch, 2 epochs.
VARIANTS = {
    "default": [],
    "max_steps_inside_an_epoch": ["trainer.max_steps=3"],
    "one_epoch_with_limits": ["trainer.max_epochs=1"],
    "val_check_interval_in_steps": ["trainer.val_check_interval=3"],
    "validation_off": ["trainer.limit_val_batches=0"],
    "bf16_mixed": ["trainer.precision=bf16-mixed"],
}

# One input line per task for predict (forecast: the CSV header and `data.window` rows).
SERIES = (Path(__file__).resolve().parents[2] / "data" / "series.csv").read_text().splitlines()
PREDICT_INPUT = {"translation": "abcd", "chatbot": "Hello", "lm": "The", "ner": "John lives in Paris .",
                 "classify": "a wonderful film", "forecast": "\n".join(SERIES[:25])}


def assert_complete_run(run: Path, metrics: dict, validation: bool) -> None:
    """The files a later command trusts are there and agree with each other."""
    ckpts = run / "checkpoints"
    assert (run / "config.yaml").is_file() and json.loads((run / "metrics.json").read_text()) == metrics
    assert not list(run.rglob(".*.tmp*")), "a temporary file of an atomic write was left behind"
    last = torch.load(ckpts / "last.ckpt", weights_only=True)
    assert last["global_step"] == metrics["global_step"] > 0  # last.ckpt holds the final state
    curves = tb_scalars(run)
    if validation:
        assert (ckpts / "best.ckpt").is_file() and metrics["best_model_path"] == str(ckpts / "best.ckpt")
        assert math.isfinite(metrics["objective"])
        # The last validation came after the last training step, whatever ended the run.
        assert curves[metrics["monitor"]][-1][0] == curves["train/loss"][-1][0]
    else:
        assert not (ckpts / "best.ckpt").exists() and metrics["objective"] is None
        assert metrics["best_model_path"] == str(ckpts / "last.ckpt")
        assert not [tag for tag in curves if tag.startswith("val/")]


def assert_checkpoint_alone_serves(task: str, run: Path, tmp_path: Path) -> None:
    """evaluate and predict from a copy of the model's checkpoint, the run directory gone."""
    alone = tmp_path / "alone"
    alone.mkdir()
    ckpt = shutil.copy(json.loads((run / "metrics.json").read_text())["best_model_path"], alone / "model.ckpt")
    shutil.rmtree(run)
    scores = evaluate(compose_cfg("evaluate", [f"ckpt_path={ckpt}", f"output_dir={alone / 'eval'}", "device=cpu"]))
    assert scores["examples"] > 0 and (alone / "eval" / "metrics.json").is_file()
    source = alone / "input.txt"
    source.write_text(PREDICT_INPUT[task] + "\n", encoding="utf-8")
    outputs = predict(compose_cfg("predict", [f"ckpt_path={ckpt}", f"input={source}", f"output={alone / 'out.txt'}",
                                              "device=cpu"]))
    assert outputs and (alone / "out.txt").read_text(encoding="utf-8").splitlines() == outputs


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("task", TASKS)
def test_every_run_ends_with_a_validation_and_a_model_that_serves(task, variant, pairs, cache_dir, tmp_path):
    run = tmp_path / "run"
    metrics = train(compose_cfg("train", task_overrides(task, pairs, cache_dir, run, *VARIANTS[variant])))
    assert_complete_run(run, metrics, validation=variant != "validation_off")
    if variant == "default":  # the names a task declares for task.monitor are the ones it logs
        module = task_kind(compose_cfg("train", TASKS[task][:1]).task.kind).module
        logged = {tag.removeprefix("val/") for tag in tb_scalars(run, ("val/",))}
        assert set(module.val_metrics) <= logged
        assert all(n in module.val_metrics or n.startswith(module.val_metric_prefixes) for n in logged), logged
    assert_checkpoint_alone_serves(task, run, tmp_path)


def test_validation_off_records_no_made_up_best_value(pairs, cache_dir, tmp_path, caplog):
    run = tmp_path / "run"
    with caplog.at_level("INFO", logger="seq2seq.train"):
        train(compose_cfg("train", task_overrides("translation", pairs, cache_dir, run, "trainer.limit_val_batches=0")))
    assert "validation is off" in caplog.text and "last.ckpt" in caplog.text
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tensorboard")).Reload()
    assert not [tag for tag in acc.Tags()["scalars"] if tag.startswith("hp/best")]


def test_a_run_that_produced_no_model_fails_in_one_line(pairs, cache_dir, tmp_path):
    extra = ["trainer.limit_val_batches=0", "callbacks.save_last=false"]  # nothing may write a checkpoint
    with pytest.raises(RunError, match=r"the run produced no model in .*checkpoints"):
        train(compose_cfg("train", task_overrides("translation", pairs, cache_dir, tmp_path / "run", *extra)))
    assert not (tmp_path / "run" / "metrics.json").exists()


@pytest.mark.parametrize("task", ["translation", "ner", "forecast"])
def test_a_monitor_the_task_does_not_log_is_refused_before_any_data_is_read(task, pairs, cache_dir, tmp_path):
    run = tmp_path / "run"
    overrides = task_overrides(task, pairs, cache_dir, run, "task.monitor=val/nonexistent", "data.path=/nonexistent")
    with pytest.raises(ConfigError, match=r"task.monitor=val/nonexistent is not logged by task.kind=\w+; choose one "
                                          r"of val/loss, "):
        train(compose_cfg("train", overrides))
    assert not run.exists()


def test_a_per_class_monitor_of_a_class_the_data_lacks_stops_at_the_first_validation(pairs, cache_dir, tmp_path):
    overrides = task_overrides("classify", pairs, cache_dir, tmp_path / "run", "task.monitor=val/f1_nosuchlabel")
    with pytest.raises(ConfigError, match=r"task.monitor=val/f1_nosuchlabel was not logged by the validation; "
                                          r"choose one of .*val/f1_positive"):
        train(compose_cfg("train", overrides))


def test_a_plateau_schedule_waits_for_epochs_without_validation(pairs, cache_dir, tmp_path):
    run = tmp_path / "run"
    extra = ["scheduler=plateau", "trainer.check_val_every_n_epoch=2", "trainer.max_epochs=3"]
    metrics = train(compose_cfg("train", task_overrides("translation", pairs, cache_dir, run, *extra)))
    assert_complete_run(run, metrics, validation=True)
    assert [step for step, _ in tb_scalars(run)["val/chrf"]] == [7, 11]  # epoch 2, and the forced one at the end


def test_a_step_val_check_interval_longer_than_the_epoch_is_one_line_and_leaves_no_run(pairs, cache_dir, tmp_path):
    """Lightning can only compare an integer val_check_interval with the batch count once the data is read;
    the user still gets one line naming the key, and the directory holds nothing a later run would trust."""
    run = tmp_path / "run"
    overrides = task_overrides("translation", pairs, cache_dir, run, "trainer.val_check_interval=100000",
                               "trainer.limit_train_batches=null")
    with pytest.raises(ConfigError, match=r"trainer.val_check_interval=100000 .* batches"):
        train(compose_cfg("train", overrides))
    assert not (run / "config.yaml").exists()
    train(compose_cfg("train", task_overrides("translation", pairs, cache_dir, run)))  # the dir is still usable
