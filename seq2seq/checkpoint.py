"""Loading a trained task from its ``.ckpt`` alone, with one-line errors for bad files."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from lightning.fabric.plugins import TorchCheckpointIO

from seq2seq.errors import CheckpointError


def read_checkpoint(path: str | Path) -> dict:
    """``torch.load(weights_only=True)``: our checkpoints hold only tensors and plain values."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file; pass ckpt_path=<run>/checkpoints/best.ckpt")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure inside torch means the same thing to the user
        reason = str(err).strip().splitlines()[0].split(". ")[0][:120] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated, corrupted or not a torch file: "
                              f"{reason}); use another checkpoint, e.g. last.ckpt") from None
    if not isinstance(ckpt, dict) or "seq2seq" not in ckpt or "state_dict" not in ckpt:
        raise CheckpointError(f"{path}: a torch file, but not a seq2seq checkpoint (no 'seq2seq' entry); "
                              "pass a checkpoint written by python -m seq2seq.train")
    return ckpt


def load_task(path: str | Path, device: str | torch.device = "cpu"):
    """The task module in eval mode, with its tokenizers and the run config it was trained with."""
    from seq2seq.tasks import task_kind

    ckpt = read_checkpoint(path)
    extra = ckpt["seq2seq"]
    cls = task_kind(extra["kind"]).module
    task = cls(**ckpt["hyper_parameters"])
    task.on_load_checkpoint(ckpt)
    task.load_state_dict(ckpt["state_dict"])
    return task.to(device).eval()


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes a checkpoint to a temporary file beside the target, then renames it into place, so a run
    killed while saving leaves the previous checkpoint intact, never a truncated one."""

    def save_checkpoint(self, checkpoint: dict, path, storage_options=None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        try:
            torch.save(checkpoint, tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def resolve_resume(target: str | Path) -> tuple[Path, Path]:
    """``resume=<run dir or .ckpt>`` → (checkpoint, run dir). A run dir resumes from its last.ckpt."""
    target = Path(target)
    if target.is_dir():
        ckpt = target / "checkpoints" / "last.ckpt"
        if not ckpt.is_file():
            raise CheckpointError(f"{target}: no checkpoints/last.ckpt to resume from; pass resume=<file.ckpt>")
        return ckpt, target
    read_checkpoint(target)  # a clear error now rather than deep inside Lightning
    run_dir = target.parent.parent if target.parent.name == "checkpoints" else target.parent
    return target, run_dir
