"""Reading a CSV time series: a header row, an optional time column, numeric columns picked by name.

Only the columns asked for are parsed (others, such as a time column or notes, are ignored unless named).
A bad cell stops the run with ``file:line:column`` and the fix; with ``on_missing=ffill`` empty or
``NA``/``NaN``/``null`` cells take the previous row's value instead, and the number filled is reported.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seq2seq.data.textio import checked_lines, require_file, utf8_errors
from seq2seq.errors import DataError

log = logging.getLogger("seq2seq.forecast")

MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}  # compared lower-cased, after stripping spaces
ON_MISSING = ("error", "ffill")
# Cells must fit the model's float32 (and keep the scaler's float64 variance finite).
LARGEST = float(np.finfo(np.float32).max)


@dataclass
class SeriesTable:
    """The parsed series: ``values`` (N, C) float64 in the order of ``columns``; ``times`` the N time
    stamps as written (None without a time column); ``first_line`` the file line of row 0 (2: after the
    header); ``filled`` how many missing cells were forward-filled."""

    columns: list[str]
    values: np.ndarray
    times: list[str] | None
    first_line: int
    filled: int

    def __len__(self) -> int:
        return len(self.values)

    def line_of(self, row: int) -> int:
        return self.first_line + row


def read_series_file(path: str | Path, columns: list[str] | None, time_column: str | None,
                     on_missing: str = "error") -> SeriesTable:
    """``columns=None`` reads every column but ``time_column``."""
    path = require_file(path, "set data.path=<a CSV file with a header row>")
    with open(path, encoding="utf-8", newline="") as fh, utf8_errors(path):
        return read_series_lines(checked_lines(fh, path), str(path), columns, time_column, on_missing)


def read_series_lines(lines: Iterable[str], source: str, columns: list[str] | None, time_column: str | None,
                      on_missing: str = "error") -> SeriesTable:
    """Parse CSV lines (the first non-empty one is the header); ``source`` names them in errors."""
    if on_missing not in ON_MISSING:
        raise ValueError(f"on_missing={on_missing!r}; choose one of {ON_MISSING}")
    reader = csv.reader(lines)
    header, header_line = _header(reader, source)
    columns = [c for c in header if c != time_column] if columns is None else list(columns)
    col_idx = [_column(header, name, source, header_line) for name in columns]
    time_idx = _column(header, time_column, source, header_line) if time_column else None
    rows, times, trailing_blank = [], [], 0
    last = np.full(len(columns), np.nan)
    filled = 0
    for cells in reader:
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            trailing_blank = reader.line_num
            continue
        if trailing_blank:
            raise DataError(f"{source}:{trailing_blank}: blank line inside the series (a missing time step); "
                            "remove it or write the row with empty cells and set data.on_missing=ffill")
        if len(cells) != len(header):
            raise DataError(f"{source}:{reader.line_num}: expected {len(header)} comma-separated fields as in "
                            f"the header, got {len(cells)}")
        row, n_filled = _parse_row(cells, col_idx, columns, last, source, reader.line_num, on_missing)
        rows.append(row)
        last, filled = row, filled + n_filled
        if time_idx is not None:
            times.append(cells[time_idx].strip())
    values = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(columns))
    return SeriesTable(columns, values, times if time_idx is not None else None, header_line + 1, filled)


def _header(reader, source: str) -> tuple[list[str], int]:
    for cells in reader:
        if cells and any(c.strip() for c in cells):
            names = [c.strip() for c in cells]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise DataError(f"{source}:{reader.line_num}: column name {dup[0]!r} appears twice in the header")
            return names, reader.line_num
    raise DataError(f"{source}: empty; expected a header row and one row per time step")


def _column(header: list[str], name: str, source: str, line: int) -> int:
    if name not in header:
        raise DataError(f"{source}:{line}: no column {name!r} in the header (columns: {', '.join(header)}); "
                        "give a file with that column, or (when training) change data.features / data.targets / "
                        "data.time_column")
    return header.index(name)


def _parse_row(cells: list[str], col_idx: list[int], columns: list[str], last: np.ndarray, source: str,
               line: int, on_missing: str) -> tuple[np.ndarray, int]:
    row = np.empty(len(col_idx))
    filled = 0
    for j, i in enumerate(col_idx):
        text = cells[i].strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
            if text.lower() not in MISSING:
                raise DataError(f"{source}:{line}:{i + 1}: non-numeric value {text!r} in column {columns[j]!r}; "
                                "every feature and target cell must be a number") from None
        if math.isinf(value) or abs(value) > LARGEST:
            what = "infinite value" if math.isinf(value) else "value too large for the model's float32"
            raise DataError(f"{source}:{line}:{i + 1}: {what} {text!r} in column {columns[j]!r} (cells must be "
                            f"finite, |x| <= {LARGEST:.3g}); fix the cell or rescale the column")
        if math.isnan(value):
            if on_missing == "error":
                raise DataError(f"{source}:{line}:{i + 1}: missing value in column {columns[j]!r}; fill it in, "
                                "or set data.on_missing=ffill to repeat the previous row's value")
            if math.isnan(last[j]):
                raise DataError(f"{source}:{line}:{i + 1}: missing value in column {columns[j]!r} with no earlier "
                                "value to forward-fill; fill it in or start the file later")
            value, filled = last[j], filled + 1
        row[j] = value
    return row, filled


def log_filled(table: SeriesTable, source: str) -> SeriesTable:
    """``table``, after logging how many cells ``data.on_missing=ffill`` filled."""
    if table.filled:
        log.info("%s: forward-filled %d missing cells (data.on_missing=ffill)", source, table.filled)
    return table


def number(value: float) -> str:
    """A value as the forecast files write it (7 significant digits)."""
    return f"{value:.7g}"
