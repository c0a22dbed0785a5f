"""``python -m seq2seq.train task=translation ...``: a thin Hydra wrapper around ``train(cfg)``."""

from __future__ import annotations

import json
import logging
import time
import warnings
from pathlib import Path

import hydra
import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger
from hydra.utils import to_absolute_path
from omegaconf import DictConfig, OmegaConf

from seq2seq.checkpoint import AtomicCheckpointIO, read_checkpoint, resolve_resume
from seq2seq.cli import one_line_errors
from seq2seq.config import validate_train_config
from seq2seq.config_rules import check_machine
from seq2seq.errors import ConfigError
from seq2seq.resources import config_dir
from seq2seq.tasks import task_kind
from seq2seq.tokenizers import save_tokenizer_files

log = logging.getLogger("seq2seq.train")

# Lightning advice that does not apply to this project's setup.
warnings.filterwarnings("ignore", message=".*overridden `transfer_batch_to_device`.*")
warnings.filterwarnings("ignore", message=".*LeafSpec.*")
# Epoch-end metrics are computed from predictions gathered over all ranks, so they are already global.
warnings.filterwarnings("ignore", message=".*sync_dist=True.*")
logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(lambda r: "litlogger" not in r.getMessage())


def build_callbacks(cfg: dict, run_dir: Path) -> list:
    task, cb = cfg["task"], cfg["callbacks"]
    ckpt_dir = run_dir / "checkpoints"
    callbacks = [ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor=task["monitor"], mode=task["mode"],
                                 save_top_k=1, auto_insert_metric_name=False)]
    if cb["save_last"]:
        # last.ckpt = the latest state (Lightning's own save_last only follows new best checkpoints).
        latest = dict(dirpath=ckpt_dir, filename="last", monitor=None, save_top_k=1, enable_version_counter=False,
                      auto_insert_metric_name=False)
        callbacks.append(ModelCheckpoint(**latest, save_on_train_epoch_end=False))  # after every validation
        if cb["checkpoint_every_n_steps"] > 0:  # mid-epoch safety net: a killed run loses at most N steps
            callbacks.append(ModelCheckpoint(**latest, every_n_train_steps=cb["checkpoint_every_n_steps"]))
    es = cb["early_stopping"]
    if es["enabled"]:
        callbacks.append(EarlyStopping(monitor=task["monitor"], mode=task["mode"], patience=es["patience"],
                                       min_delta=es["min_delta"]))
    if cb["lr_monitor"] and cfg["logger"]["tensorboard"]:
        callbacks.append(LearningRateMonitor(logging_interval="step"))
    return callbacks


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
    check_machine(cfg["trainer"])  # CUDA asked for where there is none: one line, before any data is read
    run_dir = Path(cfg["paths"]["output_dir"])
    L.seed_everything(cfg["seed"], workers=True)
    torch.set_float32_matmul_precision("high")
    kind = task_kind(cfg["task"]["kind"])
    datamodule = kind.datamodule(cfg["data"], cfg["tokenizer"], cfg["paths"]["cache_dir"], cfg["seed"])
    datamodule.setup("fit")
    module = kind.module.from_config(cfg, datamodule)
    trainer = build_trainer(cfg, run_dir)
    if trainer.is_global_zero:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
        save_tokenizer_files(module.tokenizers, run_dir)
    trainer.fit(module, datamodule=datamodule, ckpt_path=cfg["ckpt_path"])
    ckpt_cb = trainer.checkpoint_callback
    best = ckpt_cb.best_model_score
    metrics = {"monitor": cfg["task"]["monitor"], "objective": float(best) if best is not None else None,
               "best_model_path": ckpt_cb.best_model_path, "global_step": trainer.global_step}
    if cfg["test_after_fit"] and ckpt_cb.best_model_path:
        tested = trainer.test(module, datamodule=datamodule, ckpt_path=ckpt_cb.best_model_path, verbose=False)
        metrics.update({k: float(v) for k, v in (tested[0] if tested else {}).items()})
    metrics["wall_time_s"] = round(time.time() - started, 1)
    if trainer.is_global_zero:
        _finish_run(cfg, trainer, run_dir, metrics)
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


def command_line_overrides() -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def _finish_run(cfg: dict, trainer: L.Trainer, run_dir: Path, metrics: dict) -> None:
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            hp_metrics = {f"hp/best_{metrics['monitor'].split('/')[-1]}": metrics["objective"] or 0.0}
            hp_metrics.update({f"hp/{k.replace('/', '_')}": v for k, v in metrics.items() if k.startswith("test/")})
            logger.log_hyperparams(flat_hparams(cfg), metrics=hp_metrics)
            logger.finalize("success")
    summary = ", ".join(f"{k}={v:.2f}" for k, v in metrics.items() if k.startswith("test/") and isinstance(v, float))
    log.info("best %s=%s at %s; %s; %.0fs; run dir %s", metrics["monitor"], metrics["objective"],
             metrics["best_model_path"], summary or "no test", metrics["wall_time_s"], run_dir)


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
@one_line_errors
def main(cfg: DictConfig) -> float | None:
    return train(cfg)["objective"]


if __name__ == "__main__":
    main()
