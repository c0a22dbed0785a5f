"""Task kinds renamed since files were written (``seq2seq.registry.RENAMED_KINDS``: ``tagging`` → ``ner``): a
checkpoint, an export directory or a config that says the old name loads, predicts, evaluates, serves,
resumes and trains as the new one, and everything the user sees says ``ner``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from conftest import compose_cfg
from fastapi.testclient import TestClient

import seq2seq
from seq2seq.serve.app import create_app
from seq2seq.serve.config import ServeConfig
from seq2seq.train_config import validate_train_config

SENTENCES = ["Anna Okafor visited Lisbon on Monday .", "Northwind Bank shares rose", "a"]


def written_before_the_rename(ckpt: Path) -> None:
    """Rewrites ``ckpt`` as the code before the rename wrote it: kind and config.task.kind ``tagging``."""
    state = torch.load(ckpt, weights_only=True)
    state["seq2seq"]["kind"] = "tagging"
    state["seq2seq"]["config"]["task"]["kind"] = "tagging"
    torch.save(state, ckpt)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """(a tiny NER run, trained with the old ``task.kind=tagging``; its copy whose checkpoints are old files)."""
    from seq2seq.train import train

    tmp = tmp_path_factory.mktemp("renamed")
    train(compose_cfg("train", ["task=ner", "debug=ner_fast", "task.kind=tagging", f"paths.output_dir={tmp / 'run'}",
                                f"paths.cache_dir={tmp / 'cache'}", "trainer.accelerator=cpu", "trainer.devices=1",
                                "logger.tensorboard=false", "test_after_fit=false"]))
    old = tmp / "old"
    shutil.copytree(tmp / "run", old)
    for ckpt in (old / "checkpoints").glob("*.ckpt"):
        written_before_the_rename(ckpt)
    return tmp / "run", old


def test_the_ner_config_and_an_old_task_kind_tagging_validate_as_ner(tmp_path):
    base = ["task=ner", f"paths.output_dir={tmp_path}", "paths.cache_dir=null"]
    assert compose_cfg("train", base).task.kind == "ner"
    assert validate_train_config(compose_cfg("train", [*base, "task.kind=tagging"]))["task"]["kind"] == "ner"


def test_a_run_configured_with_task_kind_tagging_writes_ner(runs):
    run, _ = runs
    stored = torch.load(run / "checkpoints" / "best.ckpt", weights_only=True)["seq2seq"]
    assert stored["kind"] == "ner" and stored["config"]["task"]["kind"] == "ner"
    assert yaml.safe_load((run / "config.yaml").read_text())["task"]["kind"] == "ner"


def test_an_old_checkpoint_loads_predicts_and_serves_as_ner(runs):
    run, old = runs
    assert torch.load(old / "checkpoints" / "best.ckpt", weights_only=True)["seq2seq"]["kind"] == "tagging"
    new_pred, old_pred = seq2seq.load(run / "checkpoints" / "best.ckpt"), seq2seq.load(old / "checkpoints" / "best.ckpt")
    assert old_pred.kind == "ner" and old_pred.task == "ner" and old_pred.config["task"]["kind"] == "ner"
    assert old_pred.predict(SENTENCES) == new_pred.predict(SENTENCES)
    with TestClient(create_app(old_pred, ServeConfig(ckpt_path=str(old)))) as client:
        info = client.get("/v1/info").json()
        tagged = client.post("/v1/predict", json={"inputs": SENTENCES[:1]})
    assert info["kind"] == "ner" and info["task"] == "ner"
    assert tagged.status_code == 200, tagged.text


def test_an_old_checkpoint_evaluates_predicts_and_exports_like_the_new(runs, tmp_path, monkeypatch):
    from seq2seq.evaluate import evaluate
    from seq2seq.export import export
    from seq2seq.predict import predict

    run, old = runs
    scores = [evaluate(compose_cfg("evaluate", [f"ckpt_path={r / 'checkpoints' / 'best.ckpt'}", "device=cpu",
                                                f"output_dir={tmp_path / r.name}"])) for r in (run, old)]
    assert scores[1]["f1"] == scores[0]["f1"] and scores[1]["examples"] == scores[0]["examples"] > 0
    outputs = []
    for r in (run, old):
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("\n".join(SENTENCES) + "\n"))
        outputs.append(predict(compose_cfg("predict", [f"ckpt_path={r / 'checkpoints' / 'best.ckpt'}", "device=cpu"])))
    assert outputs[1] == outputs[0] and len(outputs[0]) == len(SENTENCES)
    exported = export(old / "checkpoints" / "best.ckpt", tmp_path / "export")
    assert json.loads((exported / "manifest.json").read_text())["kind"] == "ner"  # written under the new name


def test_an_export_manifest_saying_tagging_loads_as_ner(runs, tmp_path):
    from seq2seq.export import export

    run, _ = runs
    exported = export(run / "checkpoints" / "best.ckpt", tmp_path / "export")
    manifest = json.loads((exported / "manifest.json").read_text())
    manifest["kind"], manifest["config"]["task"]["kind"] = "tagging", "tagging"  # as exported before the rename
    (exported / "manifest.json").write_text(json.dumps(manifest))
    onnx_pred, torch_pred = seq2seq.load(exported), seq2seq.load(run / "checkpoints" / "best.ckpt")
    assert onnx_pred.kind == "ner" and onnx_pred.info()["kind"] == "ner" and onnx_pred.config["task"]["kind"] == "ner"
    assert [p["tags"] for p in onnx_pred.predict(SENTENCES)] == [p["tags"] for p in torch_pred.predict(SENTENCES)]


def test_an_old_run_resumes_and_its_new_checkpoints_say_ner(runs, tmp_path, monkeypatch):
    import seq2seq.train as train_module

    _, old = runs
    run = tmp_path / "old"
    shutil.copytree(old, run)
    monkeypatch.setattr(train_module, "command_line_overrides", lambda: ["trainer.max_epochs=2"])
    metrics = train_module.train(compose_cfg("train", [f"resume={run}", f"paths.output_dir={run}",
                                                       f"paths.cache_dir={run}"]))
    assert metrics["global_step"] == 10  # debug=ner_fast: 5 batches per epoch, one epoch more than the old run
    stored = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["seq2seq"]
    assert stored["kind"] == "ner" and stored["config"]["task"]["kind"] == "ner"
