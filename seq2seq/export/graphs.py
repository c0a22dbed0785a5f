"""The modules that become ONNX graphs: each takes and returns plain tensors (no dataclasses, no None), so
the exporter sees one fixed signature per model config; everything that varies per call (batch, source
length, beam rows) is a tensor dimension, and the search loop stays outside the graph (NumPy at runtime).

State tensors of the seq2seq decoder step, in this order: ``h`` (layers, B, H), ``c`` (LSTM), ``feed``
(B, H; input feeding), ``coverage`` (B, S; coverage attention). ``state_names`` gives them for a model.
"""

from __future__ import annotations

import torch
from torch import nn

from seq2seq.models.decoder import DecoderState
from seq2seq.models.seq2seq import Seq2SeqModel, Source


def state_names(model: Seq2SeqModel) -> list[str]:
    dec = model.decoder
    names = ["h", "c"] if isinstance(dec.rnn, nn.LSTM) or getattr(dec.rnn, "cell", "") == "lstm" else ["h"]
    return names + (["feed"] if dec.input_feed else []) + (["coverage"] if dec.coverage else [])


def source_names(model: Seq2SeqModel) -> list[str]:
    """What the encoder hands every decoder step (nothing without attention)."""
    return ["memory", "keys", "mask"] if model.decoder.attention is not None else []


class EncoderGraph(nn.Module):
    """src (B, S) int64, src_lengths (B,) int64 → memory (B, S, D), keys (B, S, K), mask (B, S) bool (with
    attention), then the decoder's initial state tensors (``state_names``)."""

    def __init__(self, model: Seq2SeqModel):
        super().__init__()
        self.model = model

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor):
        source, state = self.model.encode(src, src_lengths)
        outputs = [source.memory, source.keys, source.mask] if self.model.decoder.attention is not None else []
        return (*outputs, *flatten_state(state))


class StepGraph(nn.Module):
    """One decoder step: tokens (B,) int64, the state tensors, then memory/keys/mask (with attention) →
    log-probabilities (B, V), attention (B, S) (with attention), the new state tensors."""

    def __init__(self, model: Seq2SeqModel):
        super().__init__()
        self.model = model
        self.names = state_names(model)

    def forward(self, tokens: torch.Tensor, *tensors: torch.Tensor):
        n = len(self.names)
        state = unflatten_state(self.names, tensors[:n])
        source = Source(*tensors[n:]) if self.model.decoder.attention is not None else Source(None, None, None)
        logp, attn, state = self.model.step(tokens, state, source)
        return (logp, *([attn] if attn is not None else []), *flatten_state(state))


def flatten_state(state: DecoderState) -> list[torch.Tensor]:
    return [*state.hidden, *([state.feed] if state.feed is not None else []),
            *([state.coverage] if state.coverage is not None else [])]


def unflatten_state(names: list[str], tensors) -> DecoderState:
    values = dict(zip(names, tensors))
    hidden = (values["h"], values["c"]) if "c" in values else (values["h"],)
    return DecoderState(hidden, values.get("feed"), values.get("coverage"))


class ClassifierGraph(nn.Module):
    """tokens (B, S) int64, lengths (B,) int64 → class logits (B, C)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.model(tokens, lengths)[0]


class ForecastGraph(nn.Module):
    """Scaled windows x (B, W, F) float32 → scaled forecasts (B, H, T). The autoregressive head's loop runs
    ``horizon`` steps, a constant of the model (not of the data), so unrolling it in the graph is exact."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forecast(x)
