"""Loading a trained task from its ``.ckpt`` alone, with one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import torch

from seq2seq.atomic import atomic_path
from seq2seq.errors import CheckpointError
from seq2seq.registry import TASK_KINDS
from seq2seq.stored_config import complete_checkpoint, rename_kinds

# The layout of ``checkpoint["seq2seq"]`` (written by ``BaseTask.on_save_checkpoint``); files without the
# entry are format 1. Bump it when the layout changes, so older code refuses newer files in one line.
CHECKPOINT_FORMAT = 1
OTHER = "use another checkpoint, e.g. last.ckpt or best.ckpt of the run, or retrain"


def read_checkpoint(path: str | Path) -> dict:
    """``torch.load(weights_only=True)``: our checkpoints hold only tensors and plain values. The file must
    be a seq2seq checkpoint of a format and version this code reads. Its stored config sections come back
    completed with the current schemas' defaults (``seq2seq.stored_config``), stored values untouched."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: a directory; pass ckpt_path=<run>/checkpoints/best.ckpt")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file; pass ckpt_path=<run>/checkpoints/best.ckpt")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure inside torch means the same thing to the user
        reason = str(err).strip().splitlines()[0].split(". ")[0][:120] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated, corrupted or not a torch file: "
                              f"{reason}); {OTHER}") from None
    extra = ckpt.get("seq2seq") if isinstance(ckpt, dict) else None
    if not isinstance(extra, dict) or not isinstance(ckpt.get("state_dict"), dict):
        raise CheckpointError(f"{path}: a torch file, but not a seq2seq checkpoint (no 'seq2seq' entry); "
                              "pass a checkpoint written by python -m seq2seq.train")
    _check_format(path, extra)
    for key, kind in (("kind", str), ("config", dict), ("tokenizers", dict)):
        if not isinstance(extra.get(key), kind):
            raise CheckpointError(f"{path}: damaged seq2seq checkpoint (seq2seq.{key} is missing or not a "
                                  f"{kind.__name__}); {OTHER}")
    if not isinstance(ckpt.get("hyper_parameters"), dict):
        raise CheckpointError(f"{path}: damaged seq2seq checkpoint (no hyper_parameters); {OTHER}")
    rename_kinds(extra)  # a file written before a task kind was renamed (kind tagging: ner)
    return complete_checkpoint(ckpt)  # keys added to a schema since the file was written: their defaults


def _version(text) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in str(text).split("+")[0].split(".")[:3])
    except ValueError:
        return None


def _check_format(path: Path, extra: dict) -> None:
    """The file's layout version and the seq2seq version that wrote it must be ones this code reads."""
    from seq2seq._version import __version__

    written = extra.get("version")
    fmt = extra.get("format", 1)
    if fmt != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {fmt!r} (written by seq2seq {written}); this seq2seq "
                              f"{__version__} reads format {CHECKPOINT_FORMAT}; use the seq2seq version that "
                              "wrote it, or retrain")
    theirs = _version(written)
    if theirs is None:
        raise CheckpointError(f"{path}: damaged seq2seq checkpoint (seq2seq.version={written!r}); {OTHER}")
    if theirs > _version(__version__):
        raise CheckpointError(f"{path}: written by seq2seq {written}, newer than this one ({__version__}); "
                              "upgrade seq2seq (pip install -U seq2seq) to read it")


def check_kind(path: Path, ckpt: dict, known, kinds: tuple[str, ...] | None, command: str) -> tuple[str, str]:
    """The checkpoint's task kind and task name, once the kind is ``known`` (a registry), accepted by
    ``command`` (``kinds``; None: any) and its tokenizers are present; else one line."""
    extra = ckpt["seq2seq"]
    kind = extra["kind"]
    task_cfg = extra["config"].get("task")
    name = task_cfg.get("name", kind) if isinstance(task_cfg, dict) else kind
    if kind not in known:
        raise CheckpointError(f"{path}: a checkpoint of task kind {kind!r}, which this seq2seq does not know "
                              f"(known: {', '.join(sorted(known))}); {OTHER}")
    if kinds is not None and kind not in kinds:
        raise CheckpointError(f"{path}: a {name} checkpoint (task kind {kind}); {command} needs a checkpoint "
                              f"of task kind {' or '.join(kinds)}; pass ckpt_path=<such a run>/checkpoints/best.ckpt")
    missing = [t for t in TASK_KINDS[kind].tokenizers if t not in extra["tokenizers"]]
    if missing:
        raise CheckpointError(f"{path}: damaged {name} checkpoint (no {missing[0]!r} tokenizer in "
                              f"seq2seq.tokenizers); {OTHER}")
    return kind, name


def load_task(path: str | Path, device: str | torch.device = "cpu", kinds: tuple[str, ...] | None = None,
              command: str = "this command"):
    """The task module in eval mode, with its tokenizers and the run config it was trained with.
    ``kinds``: the task kinds ``command`` accepts (None: any)."""
    from seq2seq.registry import TASK_KINDS

    path = Path(path)
    ckpt = read_checkpoint(path)
    kind, name = check_kind(path, ckpt, TASK_KINDS, kinds, command)
    cls = TASK_KINDS[kind].module
    try:
        task = cls(**ckpt["hyper_parameters"])
        task.on_load_checkpoint(ckpt)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RuntimeError) as err:
        raise CheckpointError(f"{path}: damaged {name} checkpoint: its hyper-parameters or tokenizers do not "
                              f"build a {cls.__name__} ({type(err).__name__}: {str(err).splitlines()[0][:120]}); "
                              f"{OTHER}") from None
    check_state_dict(path, task.state_dict(), ckpt["state_dict"])
    task.load_state_dict(ckpt["state_dict"])
    return task.to(device).eval()


def check_state_dict(path: Path, expected: dict, saved: dict) -> None:
    """Every parameter the model built from the checkpoint's hyper-parameters needs is in ``saved`` with
    its shape and finite values, and nothing else is: one line naming the first that is not."""
    missing = [k for k in expected if k not in saved]
    unexpected = [k for k in saved if k not in expected]
    if missing or unexpected:
        what = f"no parameter {missing[0]}" if missing else f"an unknown parameter {unexpected[0]}"
        raise CheckpointError(f"{path}: the weights do not fit the model its hyper-parameters describe ({what}; "
                              f"{len(missing)} missing, {len(unexpected)} unknown); {OTHER}")
    for key, want in expected.items():
        got = saved[key]
        if not isinstance(got, torch.Tensor):
            raise CheckpointError(f"{path}: parameter {key} is a {type(got).__name__}, not a tensor; {OTHER}")
        if got.shape != want.shape:
            raise CheckpointError(f"{path}: parameter {key} has shape {tuple(got.shape)}, the model its "
                                  f"hyper-parameters describe needs {tuple(want.shape)}; {OTHER}")
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            raise CheckpointError(f"{path}: parameter {key} holds NaN/inf values; {OTHER}")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def __getattr__(name: str):
    # AtomicCheckpointIO subclasses Lightning's TorchCheckpointIO, so it is defined on first use: reading
    # a checkpoint (seq2seq.load, the predict CLI) must not import Lightning.
    if name == "AtomicCheckpointIO":
        globals()[name] = _atomic_checkpoint_io()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _atomic_checkpoint_io() -> type:
    from lightning.fabric.plugins import TorchCheckpointIO

    class AtomicCheckpointIO(TorchCheckpointIO):
        """Writes a checkpoint to a temporary file beside the target, then renames it into place, so a run
        killed while saving leaves the previous checkpoint intact, never a truncated one."""

        def save_checkpoint(self, checkpoint: dict, path, storage_options=None) -> None:
            # Through a file object: a full disk raises OSError(ENOSPC), not torch's "unexpected pos ...".
            with atomic_path(path) as tmp, open(tmp, "wb") as file:
                torch.save(checkpoint, file)

    return AtomicCheckpointIO


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
