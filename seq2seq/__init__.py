"""seq2seq: config-driven training of recurrent sequence models."""

__version__ = "0.1.0"
