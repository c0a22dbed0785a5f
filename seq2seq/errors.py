"""Exceptions whose message is a complete, one-line explanation for the user."""


class Seq2SeqError(Exception):
    """Base class: the CLIs print the message alone, without a traceback."""


class ConfigError(Seq2SeqError):
    """A configuration value is missing, misspelled, of the wrong type, or inconsistent."""


class DataError(Seq2SeqError):
    """An input file is malformed; the message names the file, the line and the fix."""


class CheckpointError(Seq2SeqError):
    """A checkpoint file is missing, truncated, or was not written by seq2seq."""


class NonFiniteLossError(Seq2SeqError):
    """Training produced NaN/inf; stopped before a bad checkpoint could be written."""


class RunError(Seq2SeqError):
    """A run cannot start or finish: its directory is in use, the disk is full, or it produced no model."""
