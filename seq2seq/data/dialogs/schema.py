"""Config schema of dialog data (``data.kind=dialog``), named by ``seq2seq.registry``
(task kind seq2seq). The chatbot task reuses the seq2seq model and task unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from seq2seq.config import TextPairsConfig, choices
from seq2seq.ranges import ranged

DialogFormat = choices("DialogFormat", "chatterbot dailydialog tsv")


@dataclass
class DialogDataConfig(TextPairsConfig):
    kind: str = "dialog"
    # chatterbot: a .yml file or a directory of them (null: the installed chatterbot-corpus English files);
    # dailydialog: one dialog per line, utterances ended by __eou__; tsv: context<TAB>response lines.
    format: DialogFormat = DialogFormat.chatterbot
    path: Optional[str] = None
    context_turns: int = ranged(1, ge=1)  # the input is the last k turns before the response (tsv: taken as is)
    separator: str = " <sep> "  # joins the turns of a multi-turn context
    valid_limit: Optional[int] = ranged(None, ge=1)  # use only the first N validation pairs (validation runs every epoch)
