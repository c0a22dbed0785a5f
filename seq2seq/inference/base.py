"""What every predictor shares: building from a checkpoint alone, the device, the JSON surface.

A predictor is the inference half of a task: plain PyTorch, no Lightning, no Hydra. It is built either
from a ``.ckpt`` file (``seq2seq.load``) or around the model of a live training module (the module then
calls it for evaluate/predict, so there is one implementation of both).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from seq2seq.inference.options import merge_decoding
from seq2seq.registry import TASK_KINDS

SUMMARY_KEYS = {"model": None, "tokenizer": ("kind", "shared", "vocab_size"),
                "optim": ("name", "lr"), "trainer": ("max_epochs", "max_steps", "precision")}


class Predictor:
    """Subclasses set ``kind`` and ``decoding_keys`` and implement ``build_model``, ``load_tokenizers``,
    ``predict``, ``predict_lines`` (the ``predict`` CLI's text lines) and ``evaluate``."""

    kind = ""
    decoding_keys: tuple[str, ...] = ()

    def __init__(self, model: nn.Module, tokenizers: dict, config: dict, hparams: dict, metrics: dict | None = None):
        self.model = model
        self.tokenizers = tokenizers
        self.config = config  # the resolved training run config (plain dict)
        self.hparams = hparams  # the training module's constructor arguments
        self.metrics = metrics or {}

    # -- construction (``seq2seq.inference.load``) -------------------------------------------------------
    @staticmethod
    def build_model(hparams: dict) -> nn.Module:
        raise NotImplementedError

    @staticmethod
    def load_tokenizers(states: dict) -> dict:
        from seq2seq.tokenizers import tokenizer_from_state

        return {name: tokenizer_from_state(state) for name, state in states.items()}

    # -- the common surface ----------------------------------------------------------------------------
    @property
    def task(self) -> str:
        """translation, chatbot, ner, classify, forecast or lm."""
        if self.kind == "seq2seq":
            chat = self.config["data"]["kind"] == "dialog" or self.config["task"]["name"] == "chatbot"
            return "chatbot" if chat else "translation"
        return TASK_KINDS[self.kind].user_name

    @property
    def run_config(self) -> dict:
        """The training run config (the name the training module uses)."""
        return self.config

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def saved_decoding(self) -> dict:
        """The decoding section the model was trained with (the training module's, else the run config's)."""
        return self.hparams.get("decoding") or self.config["decoding"]  # only seq2seq/lm modules take one

    @property
    def decoding_defaults(self) -> dict:
        """The checkpoint's values of the accepted decoding options."""
        return {k: v for k, v in self.saved_decoding.items() if k in self.decoding_keys}

    def decoding(self, given: dict) -> dict:
        """Decoding options for one call: the checkpoint's, updated with ``given`` (checked)."""
        return merge_decoding(self.saved_decoding, given, self.decoding_keys)

    def info(self) -> dict:
        """JSON-able description: task, sizes/labels, a training-config summary, metrics, decoding defaults."""
        return {"task": self.task, "kind": self.kind, **self.describe(), "training": self.training_summary(),
                "metrics": self.metrics, "decoding": self.decoding_defaults,
                "decoding_keys": list(self.decoding_keys),
                "parameters": sum(p.numel() for p in self.model.parameters())}

    def describe(self) -> dict:
        """Task-specific entries of ``info()`` (labels, vocabulary sizes ...)."""
        return {}

    def training_summary(self) -> dict:
        out = {"model": {k: v for k, v in self.config["model"].items() if not isinstance(v, (dict, list))}}
        for section, keys in SUMMARY_KEYS.items():
            if keys is not None and section in self.config:
                out[section] = {k: self.config[section][k] for k in keys if k in self.config[section]}
        data = self.config["data"]
        out["data"] = {k: data[k] for k in ("kind", "path") if k in data}
        return out

    def predict(self, inputs: list, **decoding) -> list[dict]:
        """One JSON-able result per input, in input order (batched)."""
        raise NotImplementedError

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """The ``predict`` CLI's output lines for its input lines (``options``: a validated decoding
        section, plus ``format``)."""
        raise NotImplementedError

    def scorer_signatures(self) -> dict[str, str]:
        """sacrebleu's signature of each BLEU/chrF that ``evaluate`` reports (see ``BaseTask``); empty here."""
        return {}

    def evaluate(self, split: str, input_path: str | None, options: dict, out_dir) -> dict:
        """Score ``split`` of the run's data (or the file ``input_path``), write predictions into
        ``out_dir``, return metrics including ``examples``."""
        raise NotImplementedError


def checkpoint_metrics(ckpt: dict) -> dict:
    """The monitored metric's best value and the training step, as the checkpoint callbacks saved them."""
    out = {"epoch": ckpt.get("epoch"), "global_step": ckpt.get("global_step")}
    for name, state in ckpt.get("callbacks", {}).items():
        if name.startswith("ModelCheckpoint") and isinstance(state, dict) and state.get("monitor"):
            score = state.get("best_model_score")
            value = float(score) if score is not None else None
            out[f"best {state['monitor']}"] = value if value is None or math.isfinite(value) else None
    return {k: v for k, v in out.items() if v is not None}


def to_device(batch: dict, device: torch.device) -> dict:
    """Tensors to ``device``, except keys ending in ``_cpu`` (lengths for packing stay on the host)."""
    return {k: v if k.endswith("_cpu") or not torch.is_tensor(v) else v.to(device) for k, v in batch.items()}
