"""seq2seq: config-driven training of recurrent sequence models.

``seq2seq.load(path, device="cpu")`` returns the predictor of a trained checkpoint (see the README's
"Python API"); it is imported on first use, so ``import seq2seq`` stays light.
"""

__version__ = "0.1.0"


def load(path, device="cpu"):
    """The task's predictor for the checkpoint at ``path`` (``seq2seq.inference.load``)."""
    from seq2seq.inference import load as _load

    return _load(path, device)
