"""Sweeps: the Optuna sweeper config, the Submitit launchers, and DDP under -m."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import CONF, make_reversal_pairs, run_cli
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import open_dict

from seq2seq.errors import ConfigError
from seq2seq.train_config import validate_train_config

pytestmark = pytest.mark.slow


def _sweep_args(tmp_path) -> list[str]:
    corpus = tmp_path / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(80)), encoding="utf-8")
    return ["debug=fast", f"data.path={corpus}", "data.valid_size=10", "data.test_size=10",
            f"paths.cache_dir={tmp_path / 'c'}", "test_after_fit=false", "hydra.sweep.dir=sweep"]


def test_optuna_sweep_runs_trials_and_reports_the_best_validation_metric(tmp_path):
    result = run_cli("seq2seq.train", ["hparams_search=translation_optuna", "hydra.sweeper.n_trials=2",
                                       *_sweep_args(tmp_path)], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    sweep = tmp_path / "sweep"
    objectives = [json.loads((sweep / job / "metrics.json").read_text())["objective"] for job in ("0", "1")]
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert best["best_value"] == pytest.approx(max(objectives))  # chrF: direction maximize
    assert set(best["best_params"]) == {"optim.lr", "model.cell", "model.hidden_size", "model.dropout",
                                        "model.attention"}
    assert "setup plugin" not in result.stderr  # alembic's start-up chatter is silenced


def test_submitit_local_launcher_runs_each_job_in_its_own_process(tmp_path):
    result = run_cli("seq2seq.train", ["-m", "hydra/launcher=local_processes", "model.cell=lstm,gru",
                                       *_sweep_args(tmp_path)], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    for job, cell in (("0", "lstm"), ("1", "gru")):
        run = tmp_path / "sweep" / job
        assert yaml.safe_load((run / "config.yaml").read_text())["model"]["cell"] == cell
        assert json.loads((run / "metrics.json").read_text())["objective"] is not None


def compose_cfg_with_hydra(overrides: list[str]):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides, return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.mode = RunMode.MULTIRUN
        cfg.hydra.runtime.output_dir = "unused"
        cfg.hydra.job.num = 0
    return cfg


@pytest.fixture
def multirun_hydra():
    def activate(launcher: str | None):
        overrides = ["trainer=ddp", "trainer.accelerator=cpu"] + ([f"hydra/launcher={launcher}"] if launcher else [])
        cfg = compose_cfg_with_hydra(overrides)
        HydraConfig.instance().set_config(cfg)
        with open_dict(cfg):
            del cfg["hydra"]
        return cfg

    yield activate
    HydraConfig.instance().cfg = None


def test_ddp_under_multirun_is_refused_with_the_local_launcher(multirun_hydra):
    cfg = multirun_hydra(None)
    with pytest.raises(ConfigError, match="cannot run under -m"):
        validate_train_config(cfg)


def test_ddp_under_multirun_is_allowed_on_slurm_with_one_task_per_gpu(multirun_hydra):
    cfg = multirun_hydra("slurm")
    launcher = HydraConfig.get().launcher
    assert "SlurmLauncher" in launcher._target_
    assert launcher.tasks_per_node == launcher.gpus_per_node  # one rank per GPU
    validate_train_config(cfg)  # no error
