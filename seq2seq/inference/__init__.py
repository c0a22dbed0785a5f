"""Inference from a checkpoint alone, in plain PyTorch (no Lightning, no Hydra): ``load(path)`` returns the
task's predictor. The public entry is ``seq2seq.load``; the CLIs predict/evaluate/chat use the same objects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from seq2seq.errors import CheckpointError, ConfigError
from seq2seq.registry import TASK_KINDS

if TYPE_CHECKING:
    import torch

    from seq2seq.inference.base import Predictor

def predictor_class(kind: str) -> type[Predictor]:
    """The predictor class of a task kind (a key of ``seq2seq.registry.TASK_KINDS``), imported on demand (a
    translation predictor never imports the tagger); the registry itself imports neither Lightning nor Hydra."""
    return TASK_KINDS[kind].predictor


def load(path: str | Path, device: str | torch.device = "cpu", kinds: tuple[str, ...] | None = None,
         command: str = "seq2seq.load") -> Predictor:
    """The predictor of a ``.ckpt`` written by ``python -m seq2seq.train``, in eval mode on ``device``
    (``"auto"``: CUDA when available). ``kinds``: the task kinds ``command`` accepts (None: any). A damaged
    file fails with one line."""
    from seq2seq.checkpoint import OTHER, check_kind, check_state_dict, pick_device, read_checkpoint
    from seq2seq.inference.base import checkpoint_metrics

    try:
        device = pick_device(device) if isinstance(device, str) else device
    except RuntimeError:
        raise ConfigError(f"device={device!r} is not a device; use cpu, cuda, cuda:<n> or auto") from None

    path = Path(path)
    ckpt = read_checkpoint(path)
    extra = ckpt["seq2seq"]
    kind, name = check_kind(path, ckpt, TASK_KINDS, kinds, command)
    cls = predictor_class(kind)
    try:
        model = cls.build_model(ckpt["hyper_parameters"])
        tokenizers = cls.load_tokenizers(extra["tokenizers"])
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RuntimeError) as err:
        raise CheckpointError(f"{path}: damaged {name} checkpoint: its hyper-parameters or tokenizers do not "
                              f"build a {cls.__name__} ({type(err).__name__}: {str(err).splitlines()[0][:120]}); {OTHER}") from None
    weights = {k.removeprefix("model."): v for k, v in ckpt["state_dict"].items()}
    check_state_dict(path, model.state_dict(), weights)
    model.load_state_dict(weights)
    return cls(model.to(device).eval(), tokenizers, extra["config"], ckpt["hyper_parameters"],
               checkpoint_metrics(ckpt))


def __getattr__(name: str):
    # Imported on first use: seq2seq.inference.options and .chat serve the ONNX predictors, which run without
    # torch (seq2seq.onnx_runtime), so importing this package must not import it.
    if name == "Predictor":
        from seq2seq.inference.base import Predictor

        return Predictor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Predictor", "load", "predictor_class"]
