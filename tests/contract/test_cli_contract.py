"""What users type, as subprocesses: train (a short run, a second run into the same directory, resume
with more epochs), evaluate and predict from the checkpoint, and DDP with two CPU processes."""

from __future__ import annotations

import json

import pytest
from conftest import compose_cfg, run_cli, tb_scalars
from tiny_runs import task_overrides

from seq2seq.train import train


def one_line_error(result) -> str:
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


def test_train_refuse_a_second_run_resume_with_more_epochs_evaluate_predict(pairs, cache_dir, tmp_path):
    run = tmp_path / "run"
    first = run_cli("seq2seq.train", task_overrides("translation", pairs, cache_dir, run, "trainer.max_epochs=1",
                                                    cli=True), tmp_path)
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr[-3000:]
    again = run_cli("seq2seq.train", task_overrides("translation", pairs, cache_dir, run, cli=True), tmp_path)
    assert "already holds a run (config.yaml); continue it with resume=" in one_line_error(again)

    # The README's "add epochs": the finished run continues in its own directory, as one uninterrupted run.
    more = run_cli("seq2seq.train", [f"resume={run}", "trainer.max_epochs=2"], tmp_path)
    assert more.returncode == 0 and "Traceback" not in more.stderr, more.stderr[-3000:]
    assert not (tmp_path / "outputs").exists() and len(list((run / ".hydra").glob("resume-*"))) == 1
    assert (run / "train.log").read_text().count("best val/chrf=") == 2  # both commands logged there
    full = tmp_path / "full"
    reference = train(compose_cfg("train", task_overrides("translation", pairs, cache_dir, full)))
    assert json.loads((run / "metrics.json").read_text())["global_step"] == reference["global_step"]
    assert tb_scalars(run) == tb_scalars(full)

    ckpt = run / "checkpoints" / "best.ckpt"
    scored = run_cli("seq2seq.evaluate", [f"ckpt_path={ckpt}", f"output_dir={tmp_path / 'eval'}"], tmp_path)
    assert scored.returncode == 0 and (tmp_path / "eval" / "metrics.json").is_file(), scored.stderr[-3000:]
    predicted = run_cli("seq2seq.predict", [f"ckpt_path={ckpt}"], tmp_path, stdin="abcd\nhgfe\n")
    assert predicted.returncode == 0 and len(predicted.stdout.splitlines()) == 2, predicted.stderr[-3000:]


@pytest.mark.parametrize("task", ["translation"])
def test_ddp_two_cpu_processes_a_run_shorter_than_an_epoch(task, pairs, cache_dir, tmp_path):
    run = tmp_path / "run"
    args = task_overrides(task, pairs, cache_dir, run, "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2",
                          "trainer.max_steps=3", cli=True)
    result = run_cli("seq2seq.train", args, tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["global_step"] == 3 and metrics["objective"] is not None and "test/loss" in metrics
    assert (run / "checkpoints" / "best.ckpt").is_file() and (run / "checkpoints" / "last.ckpt").is_file()
    assert not (tmp_path / "outputs").exists()  # the added rank wrote into the same run directory
