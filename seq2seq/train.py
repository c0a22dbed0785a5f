"""``python -m seq2seq.train task=translation ...``: a thin Hydra wrapper around ``train(cfg)``."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.utils import to_absolute_path
from omegaconf import DictConfig, OmegaConf

from seq2seq.cli import one_line_errors
from seq2seq.config_rules import check_machine
from seq2seq.errors import ConfigError
from seq2seq.registry import task_kind
from seq2seq.hydra_schemas import config_dir
from seq2seq.run_dir import claim_run_dir, release_run_dir, run_dir_of
from seq2seq.train_config import validate_train_config

log = logging.getLogger("seq2seq.train")


def train(cfg: DictConfig | dict) -> dict:
    """Validate → seed → data → task module → fit → test the best checkpoint. Returns the metrics,
    including ``objective`` (the best value of ``task.monitor``) for sweepers."""
    started = time.time()
    cfg = validate_train_config(cfg)
    if cfg["resume"]:
        cfg = resumed_config(cfg)
    from seq2seq.fit import fit  # Lightning: imported once the config is known to be valid
    from seq2seq.lifecycle import check_monitor

    kind = task_kind(cfg["task"]["kind"])
    check_monitor(cfg["task"], kind.module.val_metrics, kind.module.val_metric_prefixes)
    check_machine(cfg["trainer"])  # CUDA asked for where there is none: one line, before any data is read
    run_dir = Path(cfg["paths"]["output_dir"])
    claim_run_dir(run_dir, resuming=bool(cfg["resume"]))
    try:
        return fit(cfg, kind, run_dir, started)
    finally:
        release_run_dir(run_dir)


def resumed_config(cfg: dict) -> dict:
    """``resume=<run dir or ckpt>``: the interrupted run's own config (from its checkpoint), with this
    command's explicit ``key=value`` overrides on top (e.g. more epochs); outputs go to the old run dir,
    so the TensorBoard curves continue there."""
    from seq2seq.checkpoint import read_checkpoint, resolve_resume  # torch

    ckpt, run_dir = resolve_resume(to_absolute_path(cfg["resume"]))
    saved = read_checkpoint(ckpt)["seq2seq"]["config"]
    overrides = [o.lstrip("+") for o in command_line_overrides() if not o.startswith(("resume=", "hydra."))]
    groups = [o for o in overrides if "." not in o.split("=", 1)[0]]
    if groups:
        raise ConfigError(f"resume cannot change a config group ({groups[0]}); override single keys instead, "
                          "e.g. trainer.max_epochs=40")
    merged = OmegaConf.merge(OmegaConf.create(saved), OmegaConf.from_dotlist(overrides))
    resumed = validate_train_config(merged)
    resumed["paths"]["output_dir"] = str(run_dir)
    resumed["ckpt_path"], resumed["resume"] = str(ckpt), str(ckpt)
    log.info("resuming %s from %s", run_dir, ckpt)
    return resumed


def resume_in_its_run_dir(argv: list[str]) -> list[str]:
    """``resume=<run dir or ckpt>`` on the command line: Hydra's run dir becomes the interrupted run's own, so
    train.log and TensorBoard continue there; the resume command's Hydra files go to ``.hydra/resume-<time>``
    (``.hydra/`` keeps the original run's). An explicit ``hydra.run.dir`` (DDP's added ranks) wins."""
    resume = [a.split("=", 1)[1] for a in argv if a.startswith("resume=")]
    if not resume or not resume[-1] or any(a.startswith("hydra.run.dir=") for a in argv):
        return argv
    target = Path(resume[-1])
    if not target.exists():
        return argv  # train() reports it in one line
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    return [*argv, f"hydra.run.dir={run_dir_of(target)}", f"hydra.output_subdir=.hydra/resume-{stamp}"]


def command_line_overrides() -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
@one_line_errors
def _main(cfg: DictConfig) -> float | None:
    return train(cfg)["objective"]


def main() -> None:
    sys.argv = resume_in_its_run_dir(sys.argv)
    _main()


if __name__ == "__main__":
    main()
