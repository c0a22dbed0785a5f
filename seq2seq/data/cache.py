"""On-disk cache of prepared data, keyed by the content of the inputs and the settings that shape it.

Entries are written with ``torch.save`` of tensors and plain values only (never arbitrary pickles), via a
temporary file and a rename, so a crashed run cannot leave a half-written entry behind.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from seq2seq.data.textio import require_file

log = logging.getLogger(__name__)

CACHE_FORMAT = 2  # 2: leak-free grouped splits (seq2seq.data.split)


def file_digest(path: str | Path) -> str:
    # The first place a data file is opened: a missing file or a directory is one line, not a traceback.
    require_file(path, "set data.path (or data.valid_path / data.test_path) to an existing file")
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_key(files: list[str], settings: dict) -> str:
    payload = {
        "format": CACHE_FORMAT,
        "files": [file_digest(f) for f in files],
        "settings": settings,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def load_or_build(cache_dir: str | None, key: str, build: Callable[[], dict]) -> tuple[dict, bool]:
    """Returns (payload, hit). With ``cache_dir=None`` always builds."""
    import torch  # here only: the readers' text helpers serve the torch-free ONNX predictors

    if cache_dir is None:
        return build(), False
    path = Path(cache_dir) / f"{key}.pt"
    if path.is_file():
        try:
            return torch.load(path, weights_only=True), True
        except Exception as err:  # a damaged entry is rebuilt, not fatal
            log.warning("cache entry %s unreadable (%s); rebuilding it", path, err)
    payload = build()
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A file object, not a name: a full disk is then OSError(ENOSPC), not torch's "unexpected pos 704 vs 598".
        with open(tmp, "wb") as fh:
            torch.save(payload, fh)
        os.replace(tmp, path)
    except OSError as err:  # the cache is an optimisation: the run goes on without the entry
        tmp.unlink(missing_ok=True)
        reason = "disk full" if err.errno in (errno.ENOSPC, errno.EDQUOT) else (err.strerror or str(err))
        log.warning("%s: could not write this cache entry (%s); continuing without it (paths.cache_dir)", path,
                    reason)
    return payload, False
