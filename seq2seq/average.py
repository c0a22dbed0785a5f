"""``python -m seq2seq.average ckpts=[a.ckpt,b.ckpt] out=avg.ckpt`` or ``run_dir=<run> last=N``: the
element-wise mean of the weights of several checkpoints of one model (Vaswani et al. 2017, sec. 6.1).

The checkpoints must be of the same task kind, architecture (every hyper-parameter but the training-only
ones), tokenizers and parameter shapes; anything else is refused with one line. The result is the newest
checkpoint's hyper-parameters, tokenizers and run config with the averaged weights, written atomically,
without optimizer or loop state (it is a model to evaluate, predict with or export, not a run to resume).
"""

from __future__ import annotations

import logging
from pathlib import Path

import hydra
import torch
from hydra.utils import to_absolute_path
from omegaconf import DictConfig, OmegaConf

from seq2seq.atomic import atomic_path
from seq2seq.checkpoint import check_state_dict, read_checkpoint
from seq2seq.cli import one_line_errors
from seq2seq.errors import CheckpointError, ConfigError
from seq2seq.hydra_schemas import config_dir

log = logging.getLogger("seq2seq.average")

# Hyper-parameters that change how a model is trained, not what it is: they may differ between checkpoints.
TRAINING_ONLY = ("optim", "scheduler", "decoding", "loss", "logging", "teacher_forcing", "bptt_backprop")
# What an averaged checkpoint keeps of the newest input (no optimizer, scheduler, loop or callback state).
KEPT = ("epoch", "global_step", "pytorch-lightning_version", "hyper_parameters", "seq2seq")


def kept_checkpoints(run_dir: Path) -> list[Path]:
    """A run's kept checkpoints (``callbacks.keep_last_n``), oldest first (by training step)."""
    return sorted((run_dir / "checkpoints").glob("step-*.ckpt"), key=lambda p: int(p.stem.split("-")[1]))


def architecture(ckpt: dict) -> dict:
    return {k: v for k, v in ckpt["hyper_parameters"].items() if k not in TRAINING_ONLY}


def check_compatible(first_path: Path, first: dict, path: Path, ckpt: dict) -> None:
    """``ckpt`` must be the same model as ``first``: kind, architecture, tokenizers, weight names and shapes."""
    fix = "average checkpoints of one run (or of runs with one config)"
    if ckpt["seq2seq"]["kind"] != first["seq2seq"]["kind"]:
        raise CheckpointError(f"{path}: a {ckpt['seq2seq']['kind']} checkpoint, {first_path} is "
                              f"{first['seq2seq']['kind']}; {fix}")
    ours, theirs = architecture(first), architecture(ckpt)
    differing = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
    if differing:
        raise CheckpointError(f"{path}: hyper-parameter {differing[0]!r} differs from {first_path}'s "
                              f"({theirs.get(differing[0])!r} vs {ours.get(differing[0])!r}); {fix}")
    if ckpt["seq2seq"]["tokenizers"] != first["seq2seq"]["tokenizers"]:
        raise CheckpointError(f"{path}: its tokenizers differ from {first_path}'s (another vocabulary); {fix}")
    check_state_dict(path, first["state_dict"], ckpt["state_dict"])


def average_checkpoints(paths: list[Path]) -> dict:
    """The averaged checkpoint (a dict for ``torch.save``). Floating-point tensors are averaged in float64
    and cast back; integer tensors (counters) are taken from the newest checkpoint."""
    if len(paths) < 2:
        raise ConfigError(f"average needs at least 2 checkpoints, got {len(paths)}; pass ckpts=[a.ckpt,b.ckpt]")
    first = read_checkpoint(paths[0])
    sums = {k: v.double() if v.is_floating_point() else v for k, v in first["state_dict"].items()}
    newest = first
    for path in paths[1:]:
        ckpt = read_checkpoint(path)
        check_compatible(paths[0], first, path, ckpt)
        for key, value in ckpt["state_dict"].items():
            sums[key] = sums[key] + value.double() if value.is_floating_point() else value
        newest = ckpt
    state = {k: (v / len(paths)).to(first["state_dict"][k].dtype) if v.is_floating_point() else v
             for k, v in sums.items()}
    out = {k: newest[k] for k in KEPT if k in newest}
    out["seq2seq"] = {**newest["seq2seq"], "averaged_from": [str(p) for p in paths]}
    out["state_dict"] = state
    return out


def resolve_inputs(cfg: dict) -> tuple[list[Path], Path]:
    """(checkpoints to average, output path) from ``ckpts``+``out`` or ``run_dir``+``last`` [+``out``]."""
    if cfg["ckpts"] and cfg["run_dir"]:
        raise ConfigError("give either ckpts=[...] or run_dir=<run> last=N, not both")
    if cfg["ckpts"]:
        if not isinstance(cfg["ckpts"], list):
            raise ConfigError(f"ckpts={cfg['ckpts']!r} must be a list, e.g. ckpts=[a.ckpt,b.ckpt]")
        if not cfg["out"]:
            raise ConfigError("no output file; pass out=avg.ckpt")
        return [Path(to_absolute_path(str(p))) for p in cfg["ckpts"]], Path(to_absolute_path(cfg["out"]))
    if not cfg["run_dir"]:
        raise ConfigError("nothing to average; pass ckpts=[a.ckpt,b.ckpt] out=avg.ckpt or run_dir=<run> last=N")
    last = cfg["last"]
    if isinstance(last, bool) or not isinstance(last, int) or last < 2:
        raise ConfigError(f"bad value for 'last': {last!r}; must be an integer >= 2, e.g. last=5")
    run_dir = Path(to_absolute_path(cfg["run_dir"]))
    kept = kept_checkpoints(run_dir)
    if len(kept) < last:
        raise ConfigError(f"{run_dir / 'checkpoints'}: {len(kept)} kept checkpoints (step-*.ckpt), last={last} "
                          f"asked; pass last={len(kept)} or train with callbacks.keep_last_n={last}"
                          if len(kept) >= 2 else
                          f"{run_dir / 'checkpoints'}: {len(kept)} kept checkpoints (step-*.ckpt); train with "
                          f"callbacks.keep_last_n={last} to keep the last {last}, or pass ckpts=[...]")
    out = Path(to_absolute_path(cfg["out"])) if cfg["out"] else run_dir / "checkpoints" / f"avg-last{last}.ckpt"
    return kept[-last:], out


def average(cfg: DictConfig | dict) -> Path:
    """Average the checkpoints ``cfg`` names and write the result atomically; returns its path."""
    cfg = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    paths, out = resolve_inputs(cfg)
    if out in paths:
        raise ConfigError(f"out={out} is one of the checkpoints to average; write to another file")
    averaged = average_checkpoints(paths)
    with atomic_path(out) as tmp:
        torch.save(averaged, tmp)
    log.info("averaged %d checkpoints (%s) into %s", len(paths), ", ".join(p.name for p in paths), out)
    print(f"wrote {out} (the mean of {len(paths)} checkpoints)")
    return out


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="average")
@one_line_errors
def main(cfg: DictConfig) -> None:
    average(cfg)


if __name__ == "__main__":
    main()
