"""Reader for labelled text in CSV or TSV files: one ``(text, label)`` example per row.

``format=tsv`` splits rows on tabs with no quoting at all (the GLUE/SST-2 layout: a ``"`` is an ordinary
character); ``format=csv`` follows RFC 4180 (quoted fields may hold the delimiter, doubled quotes, line
breaks). ``delimiter`` overrides the character of either format. Columns are chosen by 0-based index or,
with a header row, by name. Every example keeps the line number it started on, so later checks (an
unknown label in the validation file, say) can name ``file:line`` too.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from seq2seq.data.normalize import normalize_text
from seq2seq.data.report import ReadReport
from seq2seq.data.textio import checked_lines, require_file, utf8_errors
from seq2seq.errors import ConfigError, DataError

FORMATS = {"tsv": ("\t", csv.QUOTE_NONE), "csv": (",", csv.QUOTE_MINIMAL)}


@dataclass
class LabeledRows:
    """Aligned lists: normalised texts, label names and the 1-based line each example starts on."""

    path: str
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def select(self, keep: list[int]) -> LabeledRows:
        return LabeledRows(self.path, [self.texts[i] for i in keep], [self.labels[i] for i in keep],
                           [self.lines[i] for i in keep])


def column_index(col: int | str, header: list[str] | None, key: str, path: Path) -> int:
    """The 0-based index of a column given by index or (with a header row) by name."""
    if isinstance(col, int):
        if col < 0:
            raise ConfigError(f"data.{key}={col} must be a column index >= 0 or a column name")
        return col
    if header is None:
        raise ConfigError(f"data.{key}={col!r} names a column, which needs data.header=true; "
                          "or give a 0-based column index")
    if col not in header:
        raise DataError(f"{path}:1: no column named {col!r} in the header (columns: {', '.join(header)}); "
                        f"set data.{key} to one of them")
    return header.index(col)


def _dialect(fmt: str, delimiter: str | None) -> dict:
    if fmt not in FORMATS:
        raise ConfigError(f"data.format={fmt!r} is not one of {sorted(FORMATS)}")
    default, quoting = FORMATS[fmt]
    delim = default if delimiter is None else delimiter.replace("\\t", "\t")
    if len(delim) != 1:
        raise ConfigError(f"data.delimiter={delimiter!r} must be a single character (\\t for a tab)")
    return {"delimiter": delim, "quoting": quoting, "strict": fmt == "csv"}


def _label_of(raw: str, label_map: dict[str, str]) -> str | None:
    """The label name of a raw label cell: ``label_map``'s name for it, or the cell itself when the map is
    empty. None when the cell is empty or missing from a non-empty map."""
    raw = raw.strip()
    if not raw:
        return None
    if label_map:
        return label_map.get(raw)
    return raw


def read_labeled(data: dict, path: str | Path) -> tuple[LabeledRows, ReadReport]:
    """Read ``path`` with the ``data`` section's format, columns, header, normalisation and label map.

    A row with too few columns, an empty text or label, or a label outside a non-empty ``data.label_map``
    raises ``DataError`` naming file and line, unless ``data.on_error=skip`` (then it is counted). Blank
    lines are skipped and counted.
    """
    path = require_file(path, "set data.path (or valid_path/test_path) to a CSV/TSV file")
    rows, report = LabeledRows(str(path)), ReadReport(str(path), "labelled examples read")
    with path.open(encoding="utf-8", newline="") as fh, utf8_errors(path):
        reader = csv.reader(checked_lines(fh, path), **_dialect(data["format"], data.get("delimiter")))
        try:
            _read_rows(reader, data, path, rows, report)
        except csv.Error as err:
            raise DataError(f"{path}:{reader.line_num}: unreadable {data['format'].upper()} ({err}); fix the "
                            "quoting, or use data.format=tsv for unquoted tab-separated text") from None
    report.read = len(rows)
    return rows, report


def _read_rows(reader, data: dict, path: Path, rows: LabeledRows, report: ReadReport) -> None:
    header = None
    if data["header"]:
        header = [c.strip() for c in next(reader, [])]
    text_col = column_index(data["text_col"], header, "text_col", path)
    label_col = column_index(data["label_col"], header, "label_col", path)
    need = max(text_col, label_col) + 1
    label_map = {str(k): str(v) for k, v in (data.get("label_map") or {}).items()}
    start = reader.line_num + 1
    for cols in reader:
        lineno, start = start, reader.line_num + 1
        if not any(c.strip() for c in cols):
            report.blank += 1
            continue
        problem = None
        if len(cols) < need:
            problem = f"expected at least {need} columns separated by {reader.dialect.delimiter!r}, found {len(cols)}"
        else:
            text = normalize_text(cols[text_col], data["normalize"], data["lowercase"])
            label = _label_of(cols[label_col], label_map)
            if not text:
                problem = f"empty text in column {text_col}"
            elif label is None:
                problem = (f"label {cols[label_col].strip()!r} is not in data.label_map ({', '.join(label_map)})"
                           if cols[label_col].strip() else f"empty label in column {label_col}")
        if problem:
            if data["on_error"] != "skip":
                raise DataError(f"{path}:{lineno}: {problem}; fix the line or set data.on_error=skip to skip "
                                "such lines")
            report.bad(f"line {lineno}")
            continue
        rows.texts.append(text)
        rows.labels.append(label)
        rows.lines.append(lineno)
