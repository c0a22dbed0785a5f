"""``python -m seq2seq.train task=translation ...``: a thin Hydra wrapper around ``train(cfg)``."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import warnings
from pathlib import Path

import hydra
import lightning as L
import torch
import yaml
from hydra.utils import to_absolute_path
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

from seq2seq.atomic import atomic_write
from seq2seq.checkpoint import AtomicCheckpointIO, read_checkpoint, resolve_resume
from seq2seq.cli import one_line_errors
from seq2seq.config import validate_train_config
from seq2seq.config_rules import check_machine
from seq2seq.errors import ConfigError, RunError
from seq2seq.lifecycle import best_checkpoint, build_callbacks, check_monitor
from seq2seq.resources import config_dir
from seq2seq.run_dir import claim_run_dir, release_run_dir, run_dir_of
from seq2seq.tasks import task_kind
from seq2seq.tokenizers import save_tokenizer_files

log = logging.getLogger("seq2seq.train")

# Lightning advice that does not apply to this project's setup.
warnings.filterwarnings("ignore", message=".*overridden `transfer_batch_to_device`.*")
warnings.filterwarnings("ignore", message=".*LeafSpec.*")
# Epoch-end metrics are computed from predictions gathered over all ranks, so they are already global.
warnings.filterwarnings("ignore", message=".*sync_dist=True.*")
logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(lambda r: "litlogger" not in r.getMessage())


def build_trainer(cfg: dict, run_dir: Path) -> L.Trainer:
    loggers = []
    if cfg["logger"]["tensorboard"]:
        loggers.append(TensorBoardLogger(save_dir=str(run_dir), name="tensorboard", version="",
                                         default_hp_metric=False))
    # Our bucketing sampler shards across ranks itself; Lightning must not wrap it.
    return L.Trainer(default_root_dir=str(run_dir), logger=loggers or False, callbacks=build_callbacks(cfg, run_dir),
                     use_distributed_sampler=False, plugins=[AtomicCheckpointIO()], **cfg["trainer"])


def flat_hparams(cfg: dict) -> dict:
    """Scalar hyper-parameters for TensorBoard's HPARAMS tab (``model.cell`` style keys)."""
    out = {}
    for section in ("task", "data", "tokenizer", "model", "optim", "scheduler", "loss"):
        for key, value in cfg[section].items():
            if isinstance(value, (int, float, str, bool)) and not key.endswith("path"):
                out[f"{section}.{key}"] = value
    out["seed"] = cfg["seed"]
    return out


def train(cfg: DictConfig | dict) -> dict:
    """Validate → seed → data → task module → fit → test the best checkpoint. Returns the metrics,
    including ``objective`` (the best value of ``task.monitor``) for sweepers."""
    started = time.time()
    cfg = validate_train_config(cfg)
    if cfg["resume"]:
        cfg = resumed_config(cfg)
    kind = task_kind(cfg["task"]["kind"])
    check_monitor(cfg["task"], kind.module.val_metrics, kind.module.val_metric_prefixes)
    check_machine(cfg["trainer"])  # CUDA asked for where there is none: one line, before any data is read
    run_dir = Path(cfg["paths"]["output_dir"])
    claim_run_dir(run_dir, resuming=bool(cfg["resume"]))
    try:
        return _train(cfg, kind, run_dir, started)
    finally:
        release_run_dir(run_dir)


def _train(cfg: dict, kind, run_dir: Path, started: float) -> dict:
    L.seed_everything(cfg["seed"], workers=True)
    torch.set_float32_matmul_precision("high")
    datamodule = kind.datamodule(cfg["data"], cfg["tokenizer"], cfg["paths"]["cache_dir"], cfg["seed"])
    datamodule.setup("fit")
    module = kind.module.from_config(cfg, datamodule)
    trainer = build_trainer(cfg, run_dir)
    trainer.callbacks.append(WriteRunFiles(cfg, module.tokenizers, run_dir))
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=cfg["ckpt_path"])
    except ValueError as err:
        raise _interval_error(err, cfg["trainer"]) from err
    metrics = fit_outcome(cfg, trainer, run_dir)
    if cfg["test_after_fit"]:
        tested = trainer.test(module, datamodule=datamodule, ckpt_path=metrics["best_model_path"], verbose=False)
        metrics.update({k: float(v) for k, v in (tested[0] if tested else {}).items()})
    metrics["wall_time_s"] = round(time.time() - started, 1)
    if trainer.is_global_zero:
        _finish_run(cfg, trainer, run_dir, metrics)
    return metrics


class WriteRunFiles(Callback):
    """config.yaml and the tokenizers, written once training really starts: Lightning checks some settings
    against the data only inside ``fit`` (a step ``val_check_interval`` longer than the epoch), and a run
    refused there must leave no config.yaml that makes its directory look like a finished run."""

    def __init__(self, cfg: dict, tokenizers, run_dir: Path):
        self.cfg, self.tokenizers, self.run_dir = cfg, tokenizers, run_dir

    def on_train_start(self, trainer: L.Trainer, module) -> None:
        if trainer.is_global_zero:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            atomic_write(self.run_dir / "config.yaml", yaml.safe_dump(self.cfg, sort_keys=False, allow_unicode=True))
            save_tokenizer_files(self.tokenizers, self.run_dir)


def _interval_error(err: ValueError, trainer_cfg: dict) -> Exception:
    """Lightning's refusal of a step interval longer than an epoch, as one line naming the key."""
    found = re.search(r"number of the training batches \((\d+)\)", str(err))
    if not found or not str(err).strip().startswith("`val_check_interval`"):
        return err
    n = found.group(1)
    return ConfigError(f"trainer.val_check_interval={trainer_cfg['val_check_interval']} is more than the {n} "
                       f"training batches of an epoch; use a count <= {n}, a fraction of the epoch (e.g. 0.5), "
                       "or trainer.check_val_every_n_epoch=null to count steps across epochs")


def fit_outcome(cfg: dict, trainer: L.Trainer, run_dir: Path) -> dict:
    """The model the run produced: the best checkpoint, or with validation off the last one (stated in the
    log); no model at all is an error, never a silent success."""
    ckpt_cb, last = best_checkpoint(trainer), run_dir / "checkpoints" / "last.ckpt"
    best = ckpt_cb.best_model_score
    metrics = {"monitor": cfg["task"]["monitor"], "objective": float(best) if best is not None else None,
               "best_model_path": ckpt_cb.best_model_path, "global_step": trainer.global_step,
               "validation": bool(trainer.enable_validation)}
    if not metrics["best_model_path"] and not trainer.enable_validation and last.is_file():
        metrics["best_model_path"] = str(last)
        log.info("validation is off (trainer.limit_val_batches=%s or no validation data): no best checkpoint; "
                 "the final state is %s", cfg["trainer"]["limit_val_batches"], last)
    if not metrics["best_model_path"]:
        raise RunError(f"the run produced no model in {run_dir / 'checkpoints'} (step {trainer.global_step}); "
                       "train at least one step, and keep validation on or callbacks.save_last=true")
    return metrics


def resumed_config(cfg: dict) -> dict:
    """``resume=<run dir or ckpt>``: the interrupted run's own config (from its checkpoint), with this
    command's explicit ``key=value`` overrides on top (e.g. more epochs); outputs go to the old run dir,
    so the TensorBoard curves continue there."""
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


def _finish_run(cfg: dict, trainer: L.Trainer, run_dir: Path, metrics: dict) -> None:
    atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            hp_metrics = {f"hp/{k.replace('/', '_')}": v for k, v in metrics.items() if k.startswith("test/")}
            if metrics["objective"] is not None:  # no validation: no best value (never a made-up 0.0)
                hp_metrics[f"hp/best_{metrics['monitor'].split('/')[-1]}"] = metrics["objective"]
            logger.log_hyperparams(flat_hparams(cfg), metrics=hp_metrics)
            logger.finalize("success")
    summary = ", ".join(f"{k}={v:.2f}" for k, v in metrics.items() if k.startswith("test/") and isinstance(v, float))
    log.info("best %s=%s at %s; %s; %.0fs; run dir %s", metrics["monitor"], metrics["objective"],
             metrics["best_model_path"], summary or "no test", metrics["wall_time_s"], run_dir)


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
@one_line_errors
def _main(cfg: DictConfig) -> float | None:
    return train(cfg)["objective"]


def main() -> None:
    sys.argv = resume_in_its_run_dir(sys.argv)
    _main()


if __name__ == "__main__":
    main()
