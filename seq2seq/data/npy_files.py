"""One-dimensional ``.npy`` files written by appending chunks, and read back memory-mapped.

The writer puts a header for length 0 first and rewrites it in place when the file is closed: a 1-D header
is 128 bytes for any length below 10**20, so the data never has to be copied. Files are written under a
temporary name and renamed when complete, so a crash cannot leave a valid-looking partial file.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from seq2seq.errors import DataError


def _header(dtype: np.dtype, length: int) -> bytes:
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": npy_format.dtype_to_descr(dtype), "fortran_order": False,
                                            "shape": (length,)})
    return buf.getvalue()


class NpyAppender:
    """``append`` chunks of a 1-D array to ``path``; ``close`` finishes the file."""

    def __init__(self, path: str | Path, dtype: np.dtype | type):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.length = 0
        self._tmp = self.path.with_name(self.path.name + ".partial")
        self._fh = open(self._tmp, "wb")  # noqa: SIM115  (open until close/abort: appended to in chunks)
        self._header_size = len(_header(self.dtype, 0))
        self._fh.write(_header(self.dtype, 0))
        self._hash = hashlib.sha256()

    def append(self, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=self.dtype)
        data = values.tobytes()
        self._fh.write(data)
        self._hash.update(data)
        self.length += len(values)

    @property
    def digest(self) -> str:
        """SHA-256 of the data (not the header) written so far: what ``scan_npy`` checks on reading."""
        return self._hash.hexdigest()

    def close(self) -> None:
        header = _header(self.dtype, self.length)
        if len(header) != self._header_size:  # cannot happen below 10**20 items; guard the in-place rewrite
            raise RuntimeError(f"{self.path}: .npy header size changed")
        self._fh.seek(0)
        self._fh.write(header)
        self._fh.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


def open_npy(path: str | Path, dtype: np.dtype | type, fix: str) -> np.ndarray:
    """The 1-D array in ``path``, memory-mapped read-only. A missing, truncated or foreign file raises a
    one-line ``DataError`` that ends with ``fix``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: missing; {fix}")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:  # numpy's message for a short file: "mmap length is greater..."
        raise DataError(f"{path}: unreadable or truncated ({str(err).splitlines()[0]}); {fix}") from None
    if array.ndim != 1 or array.dtype != np.dtype(dtype):
        raise DataError(f"{path}: expected a 1-D {np.dtype(dtype)} array, found {array.dtype} {array.shape}; {fix}")
    return array


def scan_npy(path: str | Path, digest: str, fix: str, id_limit: int | None = None, chunk_bytes: int = 1 << 24) -> None:
    """One pass over the data of the ``.npy`` file ``path`` (already checked by ``open_npy``), read in chunks
    with plain reads (not through a mapping, so the process does not map the whole file): its SHA-256 must
    be ``digest``, and with ``id_limit`` every value must lie in ``[0, id_limit)``. A damaged file raises a
    one-line ``DataError`` ending with ``fix``."""
    h, low, high = hashlib.sha256(), 0, -1
    with open(path, "rb", buffering=0) as fh:
        npy_format.read_magic(fh)
        _, _, dtype = npy_format.read_array_header_1_0(fh)
        buffer = bytearray(chunk_bytes - chunk_bytes % dtype.itemsize)
        while n := fh.readinto(buffer):
            h.update(memoryview(buffer)[:n])
            if id_limit is not None:
                values = np.frombuffer(buffer, dtype=dtype, count=n // dtype.itemsize)
                low, high = min(low, int(values.min())), max(high, int(values.max()))
    if h.hexdigest() != digest:
        raise DataError(f"{path}: content changed since it was prepared (checksum mismatch: damaged or edited); {fix}")
    if id_limit is not None and (low < 0 or high >= id_limit):
        bad = low if low < 0 else high
        raise DataError(f"{path}: token id {bad} outside the vocabulary of {id_limit} (damaged or prepared with "
                        f"another tokenizer); {fix}")
