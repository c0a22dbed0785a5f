"""Readers of dialog corpora, and (context, response) pairs built from consecutive turns.

Three formats (``data.format``): chatterbot-corpus YAML (``conversations:`` lists of utterances; a file or a
directory of ``*.yml``; by default the English files of the installed ``chatterbot-corpus`` package),
DailyDialog text (one dialog per line, each utterance followed by ``__eou__``) and a TSV of
``context<TAB>response``. A pair's context is the last ``context_turns`` turns before the response, joined
with ``separator``. Malformed input and empty turns stop with ``file:line`` and the fix, or with
``on_error=skip`` are skipped and counted; an empty turn then splits its dialog so that no pair spans it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from seq2seq.data.normalize import normalize_text
from seq2seq.data.report import ReadReport
from seq2seq.data.split import (
    Grouping,
    first_copies,
    indices_of,
    key_hashes,
    linked_groups,
    log_overlap,
    log_split,
    split_labels,
)
from seq2seq.data.textio import decode_text, require_file, text_lines
from seq2seq.errors import ConfigError, DataError

log = logging.getLogger(__name__)

Dialog = list[str]
NULL_TAG = "tag:yaml.org,2002:null"
SKIP_HINT = "fix the input or set data.on_error=skip to skip and count such cases"


def dialog_report(path: str) -> ReadReport:
    """An empty report of one dialog file: dialogs, turns and pairs read; blank lines, empty turns and
    malformed entries skipped."""
    return ReadReport(path, "dialogs", "malformed entries", extra={"turns": 0, "pairs": 0},
                      skipped={"empty turns": 0})


def problem(report: ReadReport, message: str, on_error: str, empty: bool = False) -> None:
    """Raise ``DataError(message)``, or with ``on_error=skip`` count it and keep the first three."""
    if on_error != "skip":
        raise DataError(f"{message}; {SKIP_HINT}")
    report.bad(message, "empty turns" if empty else None)


def chatterbot_english_dir() -> Path:
    """``<chatterbot_corpus package>/data/english``: the default dialogs (read in place, never copied)."""
    try:
        import chatterbot_corpus
    except ImportError:
        raise ConfigError("data.format=chatterbot with data.path=null needs the chatterbot-corpus package "
                          "(pip install chatterbot-corpus), or set data.path to a .yml file or directory") from None
    return Path(chatterbot_corpus.__file__).resolve().parent / "data" / "english"


def dialog_files(fmt: str, path: str | None) -> list[Path]:
    """The files behind ``path``: a directory of chatterbot YAML expands to its sorted ``*.yml``."""
    if path is None:
        if fmt != "chatterbot":
            raise ConfigError(f"data.format={fmt} needs data.path (a file)")
        path = chatterbot_english_dir()
    p = Path(path)
    if fmt == "chatterbot" and p.is_dir():
        files = sorted([*p.glob("*.yml"), *p.glob("*.yaml")])
        if not files:
            raise DataError(f"{p}: no .yml files in this directory; set data.path to chatterbot-corpus YAML")
        return files
    if not p.is_file():
        raise DataError(f"{p}: no such file; set data.path (data.format={fmt})")
    return [p]


# -- chatterbot-corpus YAML -----------------------------------------------------------------------------
def _conversations_node(root, path: Path):
    if isinstance(root, MappingNode):
        for key, value in root.value:
            if isinstance(key, ScalarNode) and key.value == "conversations" and isinstance(value, SequenceNode):
                return value
    line = root.start_mark.line + 1 if root is not None else 1
    raise DataError(f"{path}:{line}: no 'conversations:' list; expected chatterbot-corpus YAML "
                    "(categories: [...], conversations: [[utterance, reply, ...], ...])")


def _chatterbot_turns(item, path: Path, report: ReadReport, on_error: str) -> list[Dialog]:
    """One conversation node → its dialogs (more than one when a bad turn is skipped)."""
    if not isinstance(item, SequenceNode):
        problem(report, f"{path}:{item.start_mark.line + 1}: a conversation must be a list of utterances",
                on_error)
        return []
    dialogs, current = [], []
    for turn in item.value:
        line = turn.start_mark.line + 1
        if not isinstance(turn, ScalarNode):
            problem(report, f"{path}:{line}: an utterance must be text, found a {turn.id}", on_error)
        elif turn.tag == NULL_TAG or not turn.value.strip():
            problem(report, f"{path}:{line}: empty turn", on_error, empty=True)
        else:
            current.append(turn.value)
            continue
        dialogs.append(current)  # a skipped turn ends the dialog: no pair spans it
        current = []
    return [d for d in [*dialogs, current] if d]


def read_chatterbot(path: Path, report: ReadReport, on_error: str) -> list[Dialog]:
    """Dialogs of one chatterbot-corpus YAML file; YAML syntax errors name the line."""
    text = decode_text(require_file(path, "set data.path to a chatterbot-corpus .yml file or directory").read_bytes(), path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem(report, f"{where}: malformed YAML ({err.problem or err.context})", on_error)
        return []
    except yaml.YAMLError as err:
        problem(report, f"{path}: unreadable YAML ({str(err).splitlines()[0]})", on_error)
        return []
    dialogs = []
    for item in _conversations_node(root, path).value:
        dialogs.extend(_chatterbot_turns(item, path, report, on_error))
    return dialogs


# -- DailyDialog text -----------------------------------------------------------------------------------
def read_dailydialog(path: Path, report: ReadReport, on_error: str) -> list[Dialog]:
    """One dialog per line, each utterance followed by ``__eou__`` (a missing final marker is tolerated)."""
    dialogs = []
    for lineno, line in text_lines(path, "set data.path to a DailyDialog text file"):
        if not line.strip():
            report.blank += 1
            continue
        parts = line.split("__eou__")
        if len(parts) < 2:
            problem(report, f"{path}:{lineno}: no __eou__ marker; expected utterances each followed by "
                    "__eou__", on_error)
            continue
        if not parts[-1].strip():
            parts = parts[:-1]
        current = []
        for number, utterance in enumerate(parts, start=1):
            if utterance.strip():
                current.append(utterance)
                continue
            problem(report, f"{path}:{lineno}: empty turn (utterance {number})", on_error, empty=True)
            dialogs.append(current)
            current = []
        dialogs.append(current)
    return [d for d in dialogs if d]


# -- TSV of context<TAB>response --------------------------------------------------------------------------
def read_dialog_tsv(path: Path, report: ReadReport, on_error: str) -> list[tuple[str, str]]:
    pairs = []
    for lineno, line in text_lines(path, "set data.path to a TSV file of context<TAB>response lines"):
        if not line.strip():
            report.blank += 1
            continue
        cols = line.split("\t")
        if len(cols) < 2:
            problem(report, f"{path}:{lineno}: expected context<TAB>response, found {len(cols)} column",
                    on_error)
        elif not cols[0].strip() or not cols[1].strip():
            side = "context" if not cols[0].strip() else "response"
            problem(report, f"{path}:{lineno}: empty turn ({side})", on_error, empty=True)
        else:
            pairs.append((cols[0], cols[1]))
    report.read, report.extra["turns"] = len(pairs), 2 * len(pairs)
    return pairs


# -- pairs ------------------------------------------------------------------------------------------------
def dialog_pairs(dialogs: list[Dialog], context_turns: int, separator: str) -> list[tuple[str, str]]:
    """(context, response) for every turn after the first: the context is the last ``context_turns`` turns
    before it, oldest first, joined with ``separator``."""
    if context_turns < 1:
        raise ConfigError(f"data.context_turns must be >= 1, got {context_turns}")
    return [(separator.join(d[max(0, i - context_turns) : i]), d[i]) for d in dialogs for i in range(1, len(d))]


def read_dialog_pairs(data: dict, path: str | None) -> tuple[list[str], list[str]]:
    """Normalised (contexts, responses) from ``path`` read as ``data.format``; counts go to the log."""
    src, tgt, _ = read_dialog_units(data, path)
    return src, tgt


def read_dialog_units(data: dict, path: str | None) -> tuple[list[str], list[str], list[int]]:
    """``read_dialog_pairs`` and the dialog number of each pair (a TSV line is a dialog of its own)."""
    fmt, on_error = data["format"], data["on_error"]
    clean = lambda t: normalize_text(t, data["normalize"], data["lowercase"])
    pairs: list[tuple[str, str]] = []
    dialog_ids: list[int] = []
    for file in dialog_files(fmt, path):
        report = dialog_report(str(file))
        first = dialog_ids[-1] + 1 if dialog_ids else 0  # dialog numbers continue over the files
        if fmt == "tsv":
            found = [(clean(c), clean(r)) for c, r in read_dialog_tsv(file, report, on_error)]
            dialog_ids.extend(range(first, first + len(found)))
        else:
            reader = read_chatterbot if fmt == "chatterbot" else read_dailydialog
            dialogs = [[clean(t) for t in d] for d in reader(file, report, on_error)]
            report.read, report.extra["turns"] = len(dialogs), sum(map(len, dialogs))
            found = dialog_pairs(dialogs, data["context_turns"], data["separator"])
            dialog_ids.extend(first + i for i, d in enumerate(dialogs) for _ in range(1, len(d)))
        report.extra["pairs"] = len(found)
        log.info(report.summary())
        pairs.extend(found)
    return [c for c, _ in pairs], [r for _, r in pairs], dialog_ids


def dialog_grouping(src: list[str], tgt: list[str], dialog_ids: list[int]) -> Grouping:
    """Dialog splits are cut by dialog, and dialogs that share an identical (context, response) pair form one
    group, so no pair of a valid/test dialog occurs in training. (Grouping by context alone would not do:
    contexts such as "hello ." recur in thousands of dialogs and would merge most of a corpus into one group.)"""
    pair_keys = key_hashes(src, tgt)
    return Grouping(linked_groups(np.asarray(dialog_ids, dtype=np.int64), pair_keys), first_copies(pair_keys))


def warn_pair_overlap(data: dict, splits: dict[str, tuple[list[str], list[str]]]) -> None:
    """Count the pairs of explicit valid/test files that also occur in training."""
    train = set(zip(*splits["train"]))
    for name in ("valid", "test"):
        pairs = list(zip(*splits[name]))
        log_overlap(name, str(data[f"{name}_path"]), sum(p in train for p in pairs), len(pairs), "pairs",
                    "a (context, response) pair")


def read_dialog_splits(data: dict) -> dict[str, tuple[list[str], list[str]]]:
    """train/valid/test pairs: from explicit split files when given (their overlap with training is counted
    in the log), else a seeded split of the dialogs of ``path`` (``dialog_grouping``)."""
    src, tgt, dialog_ids = read_dialog_units(data, data["path"])
    if data["limit"]:
        src, tgt, dialog_ids = src[: data["limit"]], tgt[: data["limit"]], dialog_ids[: data["limit"]]
    if data["valid_path"] and data["test_path"]:
        splits = {"train": (src, tgt), "valid": read_dialog_pairs(data, data["valid_path"]),
                  "test": read_dialog_pairs(data, data["test_path"])}
        warn_pair_overlap(data, splits)
    else:
        grouping = dialog_grouping(src, tgt, dialog_ids)
        labels = split_labels(len(src), data["valid_size"], data["test_size"], data["split_seed"], grouping)
        log_split(str(data["path"] or "chatterbot-corpus"), labels, grouping, "pairs",
                  f"groups of dialogs ({len(set(dialog_ids)):,} dialogs; those sharing a pair are one group)")
        parts = indices_of(labels)
        splits = {name: ([src[i] for i in idx], [tgt[i] for i in idx]) for name, idx in parts.items()}
    if data["valid_limit"]:
        splits["valid"] = tuple(side[: data["valid_limit"]] for side in splits["valid"])
    return splits


def dialog_input_files(data: dict) -> list[str]:
    """Every file the splits are read from (for the content-hash cache key)."""
    paths = [data["path"]] + [data[k] for k in ("valid_path", "test_path") if data[k]]
    return [str(f) for p in paths for f in dialog_files(data["format"], p)]
