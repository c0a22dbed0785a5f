"""Optimizer and learning-rate schedule from the ``optim`` and ``scheduler`` config sections."""

from __future__ import annotations

import math

import torch


def build_optimizer(params, cfg: dict) -> torch.optim.Optimizer:
    """``optim.fused`` (default) runs PyTorch's fused kernel: one pass over all parameters per step instead
    of a dozen per tensor (on the CPU, a 2.1M-parameter tagger: 4.4 ms → 1.0 ms per step)."""
    name, fused = cfg["name"], cfg["fused"]
    if name == "adam":
        return torch.optim.Adam(params, lr=cfg["lr"], betas=tuple(cfg["betas"]), weight_decay=cfg["weight_decay"],
                                fused=fused)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=cfg["lr"], betas=tuple(cfg["betas"]), weight_decay=cfg["weight_decay"],
                                 fused=fused)
    if name == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["weight_decay"],
                               fused=fused)
    raise ValueError(f"unknown optimizer {name!r}")


def _warmup(step: int, warmup: int) -> float:
    return min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0


def build_scheduler(optimizer, cfg: dict, monitor: str, mode: str, total_steps: int) -> dict | None:
    """A Lightning ``lr_scheduler`` dict, or None. Step-based schedules update every optimizer step;
    ``plateau`` and ``step`` act per epoch (``step`` multiplies by ``factor`` every ``step_size`` epochs)."""
    name, warm = cfg["name"], cfg["warmup_steps"]
    if name == "none":
        if warm <= 0:
            return None
        sched = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: _warmup(s, warm))
        return {"scheduler": sched, "interval": "step"}
    if name == "plateau":
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=cfg["factor"],
                                                           patience=cfg["patience"], min_lr=cfg["min_lr"])
        return {"scheduler": sched, "monitor": monitor, "interval": "epoch"}
    if name == "step":
        sched = torch.optim.lr_scheduler.StepLR(optimizer, step_size=cfg["step_size"], gamma=cfg["factor"])
        return {"scheduler": sched, "interval": "epoch"}
    base = optimizer.param_groups[0]["lr"]
    floor = cfg["min_lr"] / base if base > 0 else 0.0
    if name == "cosine":
        def cosine(s: int) -> float:
            progress = min(1.0, max(0, s - warm) / max(1, total_steps - warm))
            return _warmup(s, warm) * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
        return {"scheduler": torch.optim.lr_scheduler.LambdaLR(optimizer, cosine), "interval": "step"}
    if name == "inverse_sqrt":
        w = max(1, warm)
        return {"scheduler": torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min((s + 1) / w, math.sqrt(w / (s + 1)))), "interval": "step"}
    raise ValueError(f"unknown scheduler {name!r}")
