"""The modules that become ONNX graphs: each takes and returns plain tensors (no dataclasses, no None), so
the exporter sees one fixed signature per model config; everything that varies per call (batch, source
length, beam rows) is a tensor dimension, and the search loop stays outside the graph (NumPy at runtime).

State tensors of the seq2seq decoder step, in this order: ``h`` (layers, B, H), ``c`` (LSTM), ``feed``
(B, H; input feeding), ``coverage`` (B, S; coverage attention). ``state_names`` gives them for a model.
"""

from __future__ import annotations

import torch
from torch import nn

from seq2seq.models.cell_types import cell_of_layer
from seq2seq.models.decoder import DecoderState
from seq2seq.models.seq2seq import Seq2SeqModel, Source


def state_names(model: Seq2SeqModel) -> list[str]:
    dec = model.decoder
    names = list(cell_of_layer(dec.rnn).state)
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


def tagger_inputs(tagger) -> list[str]:
    """The emission graph's inputs after ``words`` and ``lengths``: casing ids and the character inputs,
    each only when the model has that feature."""
    features = tagger.features
    return (["casing"] if features.casing is not None else []) + \
        (["form_index", "chars", "char_lengths"] if features.chars is not None else [])


class TaggerGraph(nn.Module):
    """words (B, T), lengths (B,), then ``tagger_inputs`` (casing (B, T); form_index (B, T), chars (U, C),
    char_lengths (U,)) → emissions (B, T, K). The CRF (or softmax) decoding runs in NumPy."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.names = tagger_inputs(model)

    def forward(self, words: torch.Tensor, lengths: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
        # .cpu(): a traced no-op that the exporter needs to lower pack_padded_sequence (packed=true)
        batch = {"words": words, "lengths_cpu": lengths.cpu(), "mask": words != 0,
                 **{{"char_lengths": "char_lengths_cpu"}.get(n, n): t for n, t in zip(self.names, extra)}}
        return self.model.emissions(batch)


class PaddedCharLSTM(nn.Module):
    """A ``CharLSTM`` run by ``forward_padded`` instead of on a packed sequence: the same final states
    (``tests/unit/models/test_padded_rnn.py``), and an ONNX LSTM the exporter can lower (it fails on a packed LSTM
    whose outputs are unused)."""

    def __init__(self, char_lstm):
        super().__init__()
        self.embed, self.rnn, self.out_dim = char_lstm.embed, char_lstm.rnn, char_lstm.out_dim

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        from seq2seq.models.padded_rnn import forward_padded

        _, (h, _) = forward_padded(self.rnn, self.embed(chars), lengths)
        return torch.cat([h[0], h[1]], dim=1)


def lm_state_names(model) -> list[str]:
    return list(cell_of_layer(model.rnn).state)


class LMGraph(nn.Module):
    """tokens (B, T) int64 and the state h (layers, B, H) (+ c for LSTM; zeros to start) → logits (B, T, V)
    and the new state: the prompt in one call, then one token per call."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, *state: torch.Tensor):
        logits, new = self.model(tokens, tuple(state))
        return (logits, *new)
