"""seq2seq: config-driven training of recurrent sequence models.

``seq2seq.load(path, device="cpu")`` returns the predictor of a trained checkpoint (see the README's
"Python API"); it is imported on first use, so ``import seq2seq`` stays light.
"""

from seq2seq._version import __version__

__all__ = ["__version__", "load"]


def load(path, device="cpu"):
    """The task's predictor for the checkpoint at ``path`` (``seq2seq.inference.load``), or for a directory
    written by ``python -m seq2seq.export`` (onnxruntime on the CPU, no torch: ``seq2seq.onnx_runtime``)."""
    from pathlib import Path

    if Path(path).is_dir():
        from seq2seq.onnx_runtime import load as _load_onnx

        if str(device) not in ("cpu", "auto"):
            from seq2seq.errors import ConfigError

            raise ConfigError(f"device={device!r}: an export directory runs on onnxruntime's CPU provider; "
                              "pass device='cpu' (or load the checkpoint for another device)")
        return _load_onnx(path)
    from seq2seq.inference import load as _load

    return _load(path, device)
