"""What the entry points share: turning errors caused by the user's input or machine (our own errors, a
missing or unwritable file, a full disk, text that is not UTF-8) into one line on stderr and exit code 2.

Any other exception is a bug and keeps its traceback. ``HYDRA_FULL_ERROR=1`` shows the traceback of every
error, for debugging.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import sys

from seq2seq.errors import Seq2SeqError

_HINTS = {
    errno.ENOSPC: "disk full; free space or write to another disk",
    errno.EDQUOT: "disk quota exceeded; free space or write to another disk",
    errno.EACCES: "permission denied; choose a path you can write to (or read)",
    errno.EPERM: "permission denied; choose a path you can write to (or read)",
    errno.ENOENT: "no such file or directory; check the path",
    errno.EISDIR: "a directory, not a file; give a file path",
    errno.ENOTDIR: "a part of the path is a file, not a directory; check the path",
    errno.EROFS: "read-only file system; write to another directory",
}


def describe_os_error(err: OSError) -> str:
    """``<file>: <what happened>; <fix>`` for an ``OSError`` (file names as the system call saw them)."""
    where = " -> ".join(str(f) for f in (err.filename, err.filename2) if f is not None)
    what = _HINTS.get(err.errno) or (err.strerror or str(err) or type(err).__name__)
    return f"{where}: {what}" if where else what


def describe_decode_error(err: UnicodeDecodeError) -> str:
    return (f"input is not valid UTF-8 (byte 0x{err.object[err.start]:02x} at byte offset {err.start}); convert "
            "it, e.g. iconv -f latin1 -t utf-8 <file> > <file>.utf8")


def user_error_message(err: BaseException) -> str | None:
    """The one-line message for an error the user can fix, or None for a bug (keeps its traceback)."""
    if isinstance(err, Seq2SeqError):
        return str(err)
    if isinstance(err, UnicodeDecodeError):
        return describe_decode_error(err)
    if isinstance(err, OSError):
        return describe_os_error(err)
    return None


def one_line_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (Seq2SeqError, OSError, UnicodeDecodeError) as err:
            if os.environ.get("HYDRA_FULL_ERROR") == "1":
                raise
            logging.getLogger("seq2seq").debug("error", exc_info=True)
            print(f"error: {user_error_message(err)}", file=sys.stderr)
            sys.exit(2)

    return wrapper
