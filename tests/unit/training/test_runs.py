"""``seq2seq.runs`` lists and sorts run directories."""

from __future__ import annotations

import csv
import io
import json

import yaml

from seq2seq.runs import main


def fake_run(root, name, chrf, status="done", overrides=("model.cell=gru",)):
    run = root / "translation" / name
    (run / ".hydra").mkdir(parents=True)
    (run / "checkpoints").mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({"task": {"name": "translation", "monitor": "val/chrf"}}))
    (run / ".hydra" / "config.yaml").write_text("{}")
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(list(overrides)))
    if status == "done":
        (run / "metrics.json").write_text(json.dumps({"objective": chrf, "test/chrf": chrf - 1, "global_step": 10,
                                                      "wall_time_s": 5.0}))
    elif status == "stopped":
        (run / "checkpoints" / "last.ckpt").write_bytes(b"x")
    return run


def test_runs_table_sorted_and_csv(tmp_path, capsys):
    fake_run(tmp_path, "a", 50.0)
    fake_run(tmp_path, "b", 70.0, overrides=("model.cell=lstm",))
    fake_run(tmp_path, "c", 0, status="stopped")
    main([str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["run", "task", "overrides"]
    assert "/b" in lines[2] and "/a" in lines[3] and "stopped" in lines[4]  # best first, unfinished last
    assert "69.00" in lines[2] and "model.cell=lstm" in lines[2]
    main([str(tmp_path), "--csv", "--sort", "best", "--ascending"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["run"].rsplit("/", 1)[1] for r in rows] == ["a", "b", "c"]
    assert rows[0]["status"] == "done" and rows[2]["status"] == "stopped"
