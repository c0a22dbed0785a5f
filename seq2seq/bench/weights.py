"""Building the hand-written reference for a framework model config, and copying the framework model's
weights into it, so both start equal (the bench checks their losses agree step by step)."""

from __future__ import annotations

import re

import torch
from torch import nn

from seq2seq.bench.reference import ReferenceSeq2Seq
from seq2seq.errors import ConfigError

# The reference implements one architecture; each key must hold this value for the comparison to mean
# anything (the remaining sizes and input_feed are free).
REQUIRED = {"cell": "lstm", "bidirectional": True, "bidirectional_merge": "concat", "attention": "general",
            "bridge": "copy", "dropout": 0.0, "cell_impl": "builtin", "tie_embeddings": False,
            "share_embeddings": False}


def build_reference(model_cfg: dict, src_vocab: int, tgt_vocab: int) -> ReferenceSeq2Seq:
    """The reference with the framework model's sizes (``check_reference_config`` first)."""
    return ReferenceSeq2Seq(src_vocab, tgt_vocab, model_cfg["embedding_dim"], model_cfg["hidden_size"],
                            model_cfg["encoder_layers"], model_cfg["input_feed"])


def _reference_name(name: str, input_feed: bool) -> str:
    """Framework parameter name → reference parameter name."""
    fixed = {"encoder.embedding.weight": "src_emb.weight", "decoder.embedding.weight": "tgt_emb.weight",
             "decoder.attention.query_proj.weight": "attn_in.weight", "decoder.attention.out.weight": "attn_out.weight",
             "generator.out.weight": "generator.weight", "generator.out.bias": "generator.bias"}
    if name in fixed:
        return fixed[name]
    if name.startswith("encoder.rnn."):
        return "encoder." + name.removeprefix("encoder.rnn.")
    m = re.fullmatch(r"decoder\.rnn\.(weight|bias)_(ih|hh)_l(\d+)", name)
    if m and input_feed:  # one nn.LSTM layer = one nn.LSTMCell
        return f"cells.{m.group(3)}.{m.group(1)}_{m.group(2)}"
    if m:
        return "decoder." + name.removeprefix("decoder.rnn.")
    raise KeyError(f"no reference parameter for framework parameter {name!r}")


@torch.no_grad()
def copy_weights(framework_model: nn.Module, reference: ReferenceSeq2Seq) -> None:
    """Every framework parameter goes to exactly one reference parameter (strict both ways)."""
    state = {_reference_name(k, reference.input_feed): v.detach().clone()
             for k, v in framework_model.state_dict().items()}
    reference.load_state_dict(state, strict=True)


def _model_problems(model: dict) -> list[str]:
    problems = [f"model.{key}={value}" for key, value in REQUIRED.items() if model.get(key) != value]
    dec = model["decoder_hidden_size"] or 2 * model["hidden_size"]
    if dec != 2 * model["hidden_size"] or model["encoder_layers"] != model["decoder_layers"]:
        problems.append("model.decoder_hidden_size = 2 × model.hidden_size and as many decoder as encoder layers "
                        "(the encoder state is copied unchanged)")
    return problems


def check_reference_config(cfg: dict) -> None:
    """The reference implements one architecture, trained one way: Adam, gradient-norm clipping, fp32,
    plain teacher forcing."""
    problems = _model_problems(cfg["model"])
    if cfg["optim"]["name"] != "adam" or cfg["optim"]["weight_decay"]:
        problems.append("optim.name=adam with weight_decay=0")
    if cfg["scheduler"]["name"] != "none" or cfg["scheduler"]["warmup_steps"]:
        problems.append("scheduler=none (a constant learning rate)")
    if cfg["trainer"]["gradient_clip_algorithm"] != "norm" or cfg["trainer"]["accumulate_grad_batches"] != 1:
        problems.append("trainer.gradient_clip_algorithm=norm and accumulate_grad_batches=1")
    if cfg["trainer"]["precision"] not in ("32-true", "32", 32):
        problems.append("trainer.precision=32-true")
    if cfg["loss"]["label_smoothing"] or cfg["teacher_forcing"]["ratio"] < 1.0:
        problems.append("loss.label_smoothing=0 and teacher_forcing.ratio=1")
    if problems:
        raise ConfigError("the hand-written reference needs " + "; ".join(problems) +
                          "; set bench.reference=false to time the framework alone")
