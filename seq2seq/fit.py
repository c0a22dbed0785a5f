"""The training run itself, behind ``seq2seq.train.train``: data → task module → Lightning fit → test of the
best checkpoint → metrics.json and TensorBoard hparams. Imported only once a config has validated, so
``--help``, ``--cfg job`` and config errors never import Lightning."""

from __future__ import annotations

import json
import logging
import re
import time
import warnings
from pathlib import Path

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import TensorBoardLogger

from seq2seq.atomic import atomic_write
from seq2seq.checkpoint import AtomicCheckpointIO
from seq2seq.errors import ConfigError, RunError
from seq2seq.lifecycle import best_checkpoint, build_callbacks
from seq2seq.registry import TaskKind
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


def fit(cfg: dict, kind: TaskKind, run_dir: Path, started: float) -> dict:
    """Fit and test one validated config in ``run_dir`` (claimed by the caller); returns the metrics."""
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
    if cfg["test_after_fit"] and not datamodule.has_test_split:
        log.info("no test split (data.test_size=0): skipping the test after training")
    elif cfg["test_after_fit"]:
        tested = trainer.test(module, datamodule=datamodule, ckpt_path=metrics["best_model_path"], verbose=False)
        metrics.update({k: float(v) for k, v in (tested[0] if tested else {}).items()})
        if tested and (signatures := module.scorer_signatures()):
            metrics["signatures"] = signatures
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
