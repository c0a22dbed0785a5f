"""Opening the user's text files: UTF-8 only, and one-line errors naming the file, the line and the fix.

Every reader of user text (parallel, CoNLL, labelled CSV/TSV, series CSV, dialogs, plain text, the
``input=`` of predict) goes through here, so they agree on what a text file is: UTF-8, ``\\n`` or ``\\r\\n``
line ends, a byte-order mark at the start of the file (or of a line, where files were concatenated) ignored,
and no NUL bytes (a binary or UTF-16 file). The happy path decodes in C as usual; only an undecodable file
is read again in binary, to find the line and byte offset of the first bad byte.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from seq2seq.errors import DataError

BOM = "\ufeff"


def require_file(path: str | Path, fix: str) -> Path:
    """``path`` as a ``Path`` when it is a regular file; else ``DataError`` ("no such file" or "a
    directory") ending with ``fix``."""
    p = Path(path)
    if p.is_dir():
        raise DataError(f"{p}: a directory, not a file; {fix}")
    if not p.is_file():
        raise DataError(f"{p}: no such file; {fix}")
    return p


def iconv_hint(path: str | Path) -> str:
    name = Path(path).name
    return f"convert it to UTF-8, e.g. iconv -f latin1 -t utf-8 {name} > utf8-{name}"


def bad_utf8_error(source: str | Path, raw: bytes) -> DataError:
    """The error for the first undecodable byte of ``raw`` (the bytes of ``source``): line, byte offset, fix."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        return DataError(f"{source}:{line}: not valid UTF-8 (byte 0x{raw[err.start]:02x} at byte offset "
                         f"{err.start}); {iconv_hint(source)}")
    return DataError(f"{source}: not valid UTF-8; {iconv_hint(source)}")


def nul_error(source: str | Path, line: int) -> DataError:
    return DataError(f"{source}:{line}: NUL byte in the text (a binary file, or UTF-16 text?); if it is UTF-16, "
                     f"convert it with iconv -f utf-16 -t utf-8, else point the setting at a text file")


@contextmanager
def utf8_errors(path: str | Path):
    """Turns a ``UnicodeDecodeError`` raised while reading ``path`` into the one-line ``DataError``."""
    try:
        yield
    except UnicodeDecodeError:
        raise bad_utf8_error(path, Path(path).read_bytes()) from None


def checked_lines(lines: Iterable[str], source: str | Path) -> Iterator[str]:
    """``lines`` unchanged, except a leading byte-order mark dropped; a NUL byte raises ``DataError``."""
    for lineno, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise nul_error(source, lineno)
        yield line[1:] if line.startswith(BOM) else line


def text_lines(path: str | Path, fix: str) -> Iterator[tuple[int, str]]:
    """``(line number, line without its \\n or \\r\\n)`` of the UTF-8 file ``path``; a lone ``\\r`` is
    text, not a line end. A missing file, bad UTF-8 or a NUL byte raise a one-line ``DataError``."""
    path = require_file(path, fix)
    with path.open(encoding="utf-8", newline="\n") as fh, utf8_errors(path):
        for lineno, line in enumerate(checked_lines(fh, path), start=1):
            yield lineno, line.rstrip("\r\n")


def decode_text(raw: bytes, source: str | Path) -> str:
    """``raw`` decoded as UTF-8 (a leading byte-order mark dropped), or a one-line ``DataError``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_utf8_error(source, raw) from None
    if "\x00" in text:
        raise nul_error(source, text.count("\n", 0, text.index("\x00")) + 1)
    return text[1:] if text.startswith(BOM) else text


def input_lines(path: str | Path | None, fix: str) -> list[str]:
    """The lines of ``path`` (stdin when None), decoded and checked as every reader does; one per input."""
    if path is not None:
        return [line for _, line in text_lines(path, fix)]
    buffer = getattr(sys.stdin, "buffer", None)  # a replaced sys.stdin (tests) may be text only
    text = decode_text(buffer.read(), "stdin") if buffer is not None else "".join(checked_lines(sys.stdin, "stdin"))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]
