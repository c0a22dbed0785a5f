"""One run per run directory: the first process of a run holds an exclusive ``flock`` on ``<run>/.lock`` for
its whole life (the kernel releases it when the process exits or is killed, so a crash never leaves the
directory stuck), and a directory that already holds a run's files is only reopened by ``resume=``."""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from seq2seq.atomic import remove_leftover_temporaries
from seq2seq.errors import RunError

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"
# What a run leaves behind; Hydra's own .hydra/ and train.log are written before our code runs.
RUN_FILES = ("config.yaml", "metrics.json", "checkpoints")

_held: dict[Path, int] = {}  # run dir → open descriptor holding the lock, for the life of the process


def run_dir_of(target: str | Path) -> Path:
    """The run directory of ``resume=<run dir or .ckpt>`` (``<run>/checkpoints/x.ckpt`` → ``<run>``), as
    ``checkpoint.resolve_resume`` finds it."""
    target = Path(target)
    if target.is_dir():
        return target
    return target.parent.parent if target.parent.name == "checkpoints" else target.parent


def is_launching_process() -> bool:
    """False in the processes a DDP launcher adds: Lightning's re-executed ranks (``LOCAL_RANK``/``NODE_RANK``),
    torchrun's and srun's ranks other than global rank 0. They share the run directory of rank 0."""
    for launcher_rank in ("RANK", "SLURM_PROCID"):  # torchrun / srun set it in every process they start
        if launcher_rank in os.environ:
            return os.environ[launcher_rank] == "0"
    return os.environ.get("LOCAL_RANK", "0") == "0" and os.environ.get("NODE_RANK", "0") == "0"


def claim_run_dir(run_dir: str | Path, resuming: bool) -> None:
    """Lock ``run_dir`` for this run, or stop with one line when another live run holds it or a finished
    run's files are already there (unless ``resuming``). A no-op in DDP's added processes."""
    run_dir = Path(run_dir).resolve()
    if not is_launching_process() or run_dir in _held:
        return
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(run_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise RunError(f"{run_dir}: cannot create the run directory ({err.strerror}); set hydra.run.dir to a "
                       "writable directory") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise RunError(f"{run_dir}: another run (pid {owner}) is writing to this directory; wait for it or "
                       "choose another hydra.run.dir") from None
    existing = [name for name in RUN_FILES if (run_dir / name).exists()]
    if existing and not resuming:
        os.close(fd)
        raise RunError(f"{run_dir}: already holds a run ({existing[0]}); continue it with resume={run_dir} or "
                       "choose another hydra.run.dir")
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _held[run_dir] = fd
    if resuming and (removed := remove_leftover_temporaries(run_dir)):
        log.info("%s: removed %d half-written temporary file(s) left by the interrupted run", run_dir, removed)


def release_run_dir(run_dir: str | Path) -> None:
    """Unlock (for tests and sweeps that run several trainings in one process)."""
    fd = _held.pop(Path(run_dir).resolve(), None)
    if fd is not None:
        os.close(fd)
