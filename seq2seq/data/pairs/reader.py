"""Reader for tab-separated parallel text (the Tatoeba/ManyThings ``fra.txt`` layout)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from seq2seq.data.normalize import normalize_text
from seq2seq.data.report import ReadReport
from seq2seq.data.textio import text_lines
from seq2seq.errors import DataError

log = logging.getLogger(__name__)


PARALLEL_READER_KEYS = ("src_col", "tgt_col", "reverse", "normalize", "lowercase", "on_error")  # data.* it reads


def iter_parallel_tsv(
    path: str | Path,
    src_col: int = 0,
    tgt_col: int = 1,
    reverse: bool = False,
    normalize: str = "nfc",
    lowercase: bool = False,
    on_error: str = "error",
    report: ReadReport | None = None,
) -> Iterator[tuple[str, str]]:
    """Yield the normalised ``(src, tgt)`` pairs of ``src<TAB>tgt[<TAB>extra...]`` lines one at a time, so
    a corpus of any size can be read in constant memory.

    A line with too few columns raises ``DataError`` naming file and line, unless ``on_error="skip"``,
    in which case it is counted in ``report``. Blank lines are skipped and counted.
    """
    need = max(src_col, tgt_col) + 1
    report = report if report is not None else ReadReport(str(path), "pairs read")
    for lineno, line in text_lines(path, "set data.path to a tab-separated file of src<TAB>tgt lines"):
        if not line.strip():
            report.blank += 1
            continue
        cols = line.split("\t")
        if len(cols) < need:
            problem = f"{path}:{lineno}: expected at least {need} tab-separated columns, found {len(cols)}"
            if on_error != "skip":
                raise DataError(f"{problem}; fix the line or set data.on_error=skip to skip such lines")
            report.bad(f"line {lineno}")
            continue
        src = normalize_text(cols[src_col], normalize, lowercase)
        tgt = normalize_text(cols[tgt_col], normalize, lowercase)
        report.read += 1
        yield (tgt, src) if reverse else (src, tgt)


def read_parallel_tsv(path: str | Path, **options) -> tuple[list[str], list[str], ReadReport]:
    """The whole file as two aligned lists of normalised strings; ``options`` are ``iter_parallel_tsv``'s
    (``src_col``, ``tgt_col``, ``reverse``, ``normalize``, ``lowercase``, ``on_error``)."""
    report = ReadReport(str(path), "pairs read")
    sources, targets = [], []
    for src, tgt in iter_parallel_tsv(path, **options, report=report):
        sources.append(src)
        targets.append(tgt)
    return sources, targets, report
