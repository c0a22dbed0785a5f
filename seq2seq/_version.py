"""The package version (also in pyproject.toml); a leaf, so checkpoints can record it without importing
``seq2seq``."""

__version__ = "0.1.0"
