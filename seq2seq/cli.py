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


# Arguments that only Hydra's full command line understands (flags such as --help, --cfg, -m, and overrides
# of Hydra's own config); a command line with any of them goes through @hydra.main.
HYDRA_ONLY = ("-", "hydra.", "hydra/", "+hydra", "++hydra", "~hydra", "override hydra")


def compose_command(config_name: str, args: list[str]):
    """The command's config composed once with Hydra's compose API, and its ``hydra.job_logging`` applied,
    or None when ``args`` need @hydra.main (flags, hydra.* overrides, or overrides Hydra refuses: it then
    reports them its own way). @hydra.main composes twice and sets up a job; for the commands that run
    in the current directory and write no run files, that is half a second of every cold start."""
    if any(arg.startswith(HYDRA_ONLY) for arg in args):
        return None
    from hydra import compose, initialize_config_dir
    from hydra.core.utils import configure_log
    from hydra.errors import HydraException
    from omegaconf import open_dict

    from seq2seq.hydra_schemas import config_dir

    try:
        with initialize_config_dir(config_dir=config_dir(), version_base="1.3", job_name=config_name):
            cfg = compose(config_name, overrides=args, return_hydra_config=True)
    except HydraException:
        return None
    configure_log(cfg.hydra.job_logging, cfg.hydra.verbose)
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg
