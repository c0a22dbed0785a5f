"""Config schema of dialog data (``data.kind=dialog``), named by ``seq2seq.registry``
(task kind seq2seq). The chatbot task reuses the seq2seq model and task unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from seq2seq.config import BucketedLoaderConfig, Normalization, OnError, choices
from seq2seq.ranges import ranged, split_size

DialogFormat = choices("DialogFormat", "chatterbot dailydialog tsv")


@dataclass
class DialogDataConfig(BucketedLoaderConfig):
    kind: str = "dialog"
    # chatterbot: a .yml file or a directory of them (null: the installed chatterbot-corpus English files);
    # dailydialog: one dialog per line, utterances ended by __eou__; tsv: context<TAB>response lines.
    format: DialogFormat = DialogFormat.chatterbot
    path: Optional[str] = None
    valid_path: Optional[str] = None  # with test_path: explicit split files instead of a seeded split
    test_path: Optional[str] = None
    context_turns: int = ranged(1, ge=1)  # the input is the last k turns before the response (tsv: taken as is)
    separator: str = " <sep> "  # joins the turns of a multi-turn context
    normalize: Normalization = Normalization.nfc
    lowercase: bool = False
    min_len: int = ranged(1, ge=0)
    max_len: int = ranged(200, ge=1)
    valid_size: float = split_size(0.05)
    test_size: float = split_size(0.05)
    split_seed: int = 1
    limit: Optional[int] = ranged(None, ge=1)  # use only the first N training pairs
    valid_limit: Optional[int] = ranged(None, ge=1)  # use only the first N validation pairs (validation runs every epoch)
    on_error: OnError = OnError.error  # malformed files/lines and empty turns: stop, or skip and count
