"""What the three entry points share: turning our errors into one line on stderr and exit code 2."""

from __future__ import annotations

import functools
import logging
import sys

from seq2seq.errors import Seq2SeqError


def one_line_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Seq2SeqError as err:
            logging.getLogger("seq2seq").debug("error", exc_info=True)
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)

    return wrapper
