"""Reader and writer for CoNLL column files: one token per line, a blank line between sentences,
``-DOCSTART-`` lines between documents (CoNLL-2000/2002/2003 layout).

Each sentence keeps its raw columns, so evaluation can write the file back with a predicted column
(``token ... gold predicted``, the input conlleval reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seq2seq.data.conll.schemes import convert, first_violation
from seq2seq.data.report import ReadReport
from seq2seq.data.textio import text_lines
from seq2seq.errors import DataError

DOCSTART = "-DOCSTART-"


@dataclass
class Sentence:
    """Tokens and tags (in the file's scheme) of one sentence; ``columns`` holds its raw lines split into
    columns, ``line`` the line number of its first token, ``docstart`` the ``-DOCSTART-`` line before it."""

    tokens: list[str]
    tags: list[str]
    columns: list[list[str]]
    line: int
    docstart: str | None = None


@dataclass(frozen=True)
class ConllFormat:
    """Which columns hold the token and the tag (negative: from the end), how columns are separated
    (None: any white space), how many columns every line has (None: as many as the first token line),
    the tag scheme of the file, and what to do with a bad sentence (``error`` or ``skip`` and count)."""

    token_col: int = 0
    tag_col: int = -1
    separator: str | None = None
    n_cols: int | None = None
    scheme: str = "iob2"
    on_error: str = "error"


class _Reader:
    """Line-by-line state of one file; ``finish_sentence`` validates and keeps or skips a sentence."""

    def __init__(self, path: Path, fmt: ConllFormat):
        self.path, self.fmt = path, fmt
        self.report = ReadReport(str(path), "sentences", "malformed sentences",
                                 extra={"tokens": 0, "documents": 0})
        self.sentences: list[Sentence] = []
        self.rows: list[list[str]] = []
        self.first_line = 0
        self.problem: str | None = None
        self.docstart: str | None = None
        self.n_cols = fmt.n_cols

    def fail(self, lineno: int, reason: str) -> None:
        if self.problem is None:
            self.problem = f"{self.path}:{lineno}: {reason}"

    def add_row(self, lineno: int, line: str) -> None:
        cols = line.split(self.fmt.separator)
        if not self.rows:
            self.first_line = lineno
        if self.n_cols is None:
            self.n_cols = len(cols)
        need = max(2, *(c + 1 if c >= 0 else -c for c in (self.fmt.token_col, self.fmt.tag_col)))
        if len(cols) != self.n_cols or len(cols) < need:
            self.fail(lineno, f"expected {max(self.n_cols, need)} columns, found {len(cols)}")
        self.rows.append(cols)

    def finish_sentence(self) -> None:
        rows, problem = self.rows, self.problem
        self.rows, self.problem = [], None
        if not rows:
            return
        if problem is None:
            tags = [r[self.fmt.tag_col] for r in rows]
            bad = first_violation(tags, self.fmt.scheme)
            if bad is not None:
                problem = f"{self.path}:{self.first_line + bad[0]}: {bad[1]}"
        if problem is not None:
            if self.fmt.on_error != "skip":
                raise DataError(f"{problem}; fix the file, check data.scheme_in / data.tag_col, "
                                "or set data.on_error=skip to skip such sentences")
            self.report.bad(problem)
            return
        tokens = [r[self.fmt.token_col] for r in rows]
        self.sentences.append(Sentence(tokens, tags, rows, self.first_line, self.docstart))
        self.docstart = None


def read_conll(path: str | Path, fmt: ConllFormat = ConllFormat()) -> tuple[list[Sentence], ReadReport]:
    """Sentences of a CoNLL file, their tags validated against ``fmt.scheme``.

    A line with the wrong number of columns, an unknown tag or a tag the scheme forbids where it stands
    (``I-PER`` after ``O`` in IOB2) raises ``DataError`` naming file and line, or, with
    ``on_error="skip"``, skips that sentence and counts it in the report.
    """
    path = Path(path)
    reader = _Reader(path, fmt)
    for lineno, line in text_lines(path, "set data.path (or data.dir) to a CoNLL column file"):
        if not line.strip():
            reader.finish_sentence()
        elif line.split(fmt.separator)[0] == DOCSTART:
            reader.finish_sentence()
            reader.docstart = line
            reader.report.extra["documents"] += 1
        else:
            reader.add_row(lineno, line)
    reader.finish_sentence()
    reader.report.read = len(reader.sentences)
    reader.report.extra["tokens"] = sum(len(s.tokens) for s in reader.sentences)
    return reader.sentences, reader.report


def convert_sentences(sentences: list[Sentence], source: str, target: str) -> list[list[str]]:
    """The tags of every sentence in scheme ``target``."""
    return [convert(s.tags, source, target) for s in sentences]


def format_conll(sentences: list[Sentence], predicted: list[list[str]], separator: str = " ") -> str:
    """The sentences' raw columns plus one predicted-tag column, a blank line after each sentence and
    ``-DOCSTART-`` lines kept (with an ``O`` prediction), so conlleval can score the file."""
    if len(sentences) != len(predicted):
        raise ValueError(f"{len(predicted)} predictions for {len(sentences)} sentences")
    parts: list[str] = []
    for sent, tags in zip(sentences, predicted):
        if len(tags) != len(sent.tokens):
            raise ValueError(f"sentence at line {sent.line}: {len(tags)} tags for {len(sent.tokens)} tokens")
        if sent.docstart is not None:
            parts.append(f"{sent.docstart}{separator}O\n\n")
        parts.extend(separator.join([*cols, tag]) + "\n" for cols, tag in zip(sent.columns, tags))
        parts.append("\n")
    return "".join(parts)
