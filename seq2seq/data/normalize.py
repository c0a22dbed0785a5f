"""Text clean-up applied identically at training, evaluation and prediction time."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalize_text(text: str, form: str = "nfc", lowercase: bool = False) -> str:
    """Unicode-normalise (``none``/``nfc``/``nfkc``/``nfd``/``nfkd``), fold runs of white space
    (including no-break spaces) to one space, strip, and optionally lower-case."""
    if form != "none":
        text = unicodedata.normalize(form.upper(), text)
    text = _SPACES.sub(" ", text).strip()
    return text.lower() if lowercase else text
