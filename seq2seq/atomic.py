"""Files that a later command trusts (config.yaml, metrics.json, checkpoints, tokenizer files) are written
atomically: into a temporary file beside the target, flushed to disk, then renamed over it. A run killed
while writing leaves the previous file or none, never a truncated one; a full disk is one line naming the
file."""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path

from seq2seq.errors import RunError

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yields a temporary path for a writer that needs a file name (``torch.save``); on success the file
    is fsync'ed and renamed to ``path``; on any failure it is removed and ``path`` is left untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except OSError as err:
        if err.errno in _NO_SPACE:
            raise RunError(f"{path}: disk full, no space left on the device ({os.strerror(err.errno)}); free space "
                           "or point paths.output_dir / hydra.run.dir at another disk") from None
        raise
    except RuntimeError as err:
        # torch.save given a file name reports a short write (a full disk) as "unexpected pos 704 vs 598".
        if "unexpected pos" in str(err) or "file write failed" in str(err):
            raise RunError(f"{path}: disk full, the write stopped short ({str(err).split('. ')[-1][:60]}); free "
                           "space or point paths.output_dir / hydra.run.dir at another disk") from None
        raise
    finally:
        tmp.unlink(missing_ok=True)


_TEMPORARY = re.compile(r"^\..+\.tmp\d+$")  # the name atomic_path gives: .<target>.tmp<pid>


def remove_leftover_temporaries(directory: str | Path) -> int:
    """Delete the temporaries that a writer killed mid-write (SIGKILL, power loss) left under ``directory``;
    the caller must hold the directory's run lock, so no live writer owns them. Returns how many."""
    removed = 0
    for path in Path(directory).rglob(".*.tmp*"):
        if path.is_file() and _TEMPORARY.match(path.name):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
