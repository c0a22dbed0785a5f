"""One-dimensional ``.npy`` files written by appending chunks, and read back memory-mapped.

The writer puts a header for length 0 first and rewrites it in place when the file is closed: a 1-D header
is 128 bytes for any length below 10**20, so the data never has to be copied. Files are written under a
temporary name and renamed when complete, so a crash cannot leave a valid-looking partial file.
"""

from __future__ import annotations

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

    def append(self, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=self.dtype)
        self._fh.write(values.tobytes())
        self.length += len(values)

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
