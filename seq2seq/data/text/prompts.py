"""Prompts for text generation: normalised like the training text, and one line per prompt / output."""

from __future__ import annotations

import re

from seq2seq.data.text.preparation import normalize_lm_text

_ESCAPE = re.compile(r"\\(\\|n)")


def escape_newlines(text: str) -> str:
    """One output line per prompt: a newline becomes the two characters ``\\n``, a backslash ``\\\\``."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def unescape_newlines(line: str) -> str:
    """The inverse of ``escape_newlines``: a prompt line may ask for a newline with ``\\n``."""
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else "\\", line)


def normalize_prompt(text: str, data: dict) -> str:
    """``text`` normalised as the training text was (``data`` is the run's data config). A prompt is the
    start of a line, not a whole line: one trailing space is kept when the input ended with one."""
    clean = normalize_lm_text(text, data["normalize"], data["lowercase"], data["whitespace"])
    if text[-1:] in (" ", "\t") and clean and not clean.endswith((" ", "\n")):
        clean += " "
    return clean


def sample_prompts(text: str, n: int, words: int = 3) -> list[str]:
    """Up to ``n`` prompts: the first ``words`` words of non-blank lines spread evenly over ``text`` (of
    evenly spread words when the text has fewer lines, e.g. with ``data.whitespace=flatten``)."""
    if n <= 0:
        return []
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < n:
        tokens = text.split()
        lines = [" ".join(tokens[i : i + words]) for i in range(0, len(tokens), max(1, len(tokens) // n))]
    step = max(1, len(lines) // n)
    return [" ".join(line.split()[:words]) for line in lines[::step][:n]] or [""]
