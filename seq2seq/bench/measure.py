"""Timers and memory probes that are honest on both CPU and CUDA.

CUDA work is asynchronous: a timer is only read after ``torch.cuda.synchronize``, and only at window
boundaries, so the steps in between run exactly as they would in an untimed run.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class WindowClock:
    """Target tokens per second of a training loop, as a median over windows of ``window`` steps after
    ``warmup`` steps. Call ``start`` once, then ``step(tokens, loss)`` after every step; ``tokens`` and
    ``loss`` may be device tensors (read only at window boundaries, after a sync)."""

    def __init__(self, device: torch.device, warmup: int, window: int, total: int, label: str):
        self.device, self.warmup, self.window, self.total, self.label = device, warmup, window, total, label
        self.tokens: list = []
        self.losses: list = []
        self.marks: list[tuple[int, float]] = []

    def start(self) -> None:
        sync(self.device)
        self.marks = [(0, time.perf_counter())]

    def step(self, tokens, loss) -> None:
        self.tokens.append(tokens)
        self.losses.append(loss)
        n = len(self.tokens)
        if n % self.window == 0:
            sync(self.device)
            self.marks.append((n, time.perf_counter()))
            rate = self._rate(len(self.marks) - 2)
            phase = "warm-up" if n <= self.warmup else "timed"
            print(f"[{self.label}] step {n}/{self.total} ({phase}): {rate:,.0f} tgt tok/s, "
                  f"loss {float(loss):.3f}", flush=True)

    def _rate(self, i: int) -> float:
        (a, ta), (b, tb) = self.marks[i], self.marks[i + 1]
        return sum(int(t) for t in self.tokens[a:b]) / (tb - ta)

    def result(self) -> dict:
        timed = [i for i in range(len(self.marks) - 1) if self.marks[i][0] >= self.warmup]
        rates = [self._rate(i) for i in timed]
        tokens = [int(t) for t in self.tokens]
        first = timed[0] if timed else 0
        seconds = self.marks[-1][1] - self.marks[first][1]
        timed_tokens = sum(tokens[self.marks[first][0] :])
        return {
            "tok_s_median_window": statistics.median(rates) if rates else float("nan"),
            "tok_s_aggregate": timed_tokens / seconds if seconds > 0 else float("nan"),
            "window_tok_s": rates,
            "steps": len(tokens), "warmup_steps": self.warmup, "window": self.window,
            "timed_seconds": seconds,
            "tgt_tokens_per_batch": statistics.mean(tokens) if tokens else 0.0,
            "loss_first": float(self.losses[0]) if self.losses else None,
            "loss_last": float(self.losses[-1]) if self.losses else None,
        }


def proc_status_mb(fields: tuple[str, ...], pid: int | str = "self") -> dict[str, float]:
    """Memory fields of ``/proc/<pid>/status`` (VmRSS, VmHWM, RssAnon, ...) in MiB; {} where unreadable
    (not Linux, or the process has just exited)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in fields:
                out[key] = int(value.split()[0]) / 1024  # kB
    except OSError:
        pass
    return out


class PeakMemory:
    """Peak memory of one phase. CUDA: ``torch.cuda.max_memory_allocated``. CPU: the process's peak RSS
    (VmHWM), reset at the start of the phase through ``/proc/self/clear_refs`` where Linux allows it
    (otherwise the peak since the process started; ``kind`` says which). Both systems run in one
    process, so CPU figures include the prepared data they share (``base_mb``: the RSS at the start)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.kind = ""
        self.base_mb: float | None = None

    def start(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self.kind = "cuda max_memory_allocated"
            self.base_mb = torch.cuda.memory_allocated(self.device) / 2**20
            return
        try:
            Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak RSS (Linux >= 4.0)
            self.kind = "peak RSS of the phase"
        except OSError:
            self.kind = "peak RSS since process start"
        self.base_mb = proc_status_mb(("VmRSS",)).get("VmRSS")

    def result(self) -> dict:
        if self.device.type == "cuda":
            peak = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            peak = proc_status_mb(("VmHWM",)).get("VmHWM")
            if peak is None:
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"peak_mb": peak, "base_mb": self.base_mb, "kind": self.kind}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: torch.device) -> dict:
    info = {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "device": str(device),
    }
    if device.type == "cuda":
        info.update(device_name=torch.cuda.get_device_name(device), cuda=torch.version.cuda,
                    cudnn=torch.backends.cudnn.version())
    else:
        info["device_name"] = info["cpu"]
    return info
