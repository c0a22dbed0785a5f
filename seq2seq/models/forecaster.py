"""Window → horizon forecaster: a recurrent encoder over the input window, then either a direct
multi-output head or an autoregressive decoder. Works on scaled values; knows nothing of files or units.

Shapes: ``x`` (B, W, F) the window of F input columns; ``y`` (B, H, T) the T target columns over the
horizon; ``target_index`` the positions of the targets among the input columns (a target's own past is
always an input). Every forecast is (B, H, T).

- ``direct``: the encoder's final top-layer state → one linear layer → all H × T values at once.
- ``autoregressive``: a decoder RNN (same cell, size and depth, started from the encoder's final state)
  reads the previous step's target values and emits the next step's. Training feeds the true values
  (teacher forcing, one RNN call over the horizon); ``forecast`` feeds back its own predictions.

With ``residual`` each output is a change: direct forecasts add to the window's last target values, and
autoregressive steps add to the previous step's value, so an untrained model starts at the naive forecast.
With ``highway`` = k > 0 (direct head only) a linear map of each target's last k window values, shared across
targets, is added to every forecast: the "highway" autoregressive component of LSTNet (Lai et al. 2018), a
linear forecaster (DLinear/NLinear's kind) that the recurrent part corrects with what is not linear.
With ``subtract_last`` every window is shifted so that its last row is 0 in every column before the
encoder sees it, and forecasts are shifted back: the model sees shapes, not levels, which helps when the
level drifts between the training years and the test period.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seq2seq.models.rnn import State, as_raw, as_state, make_rnn

HEADS = ("direct", "autoregressive")
LOSSES = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.smooth_l1_loss}


class Forecaster(nn.Module):
    # Keyword-only, no defaults: the values come from the validated ``model`` section (ForecasterModelConfig).
    def __init__(self, n_inputs: int, target_index: list[int], horizon: int, *, cell: str, hidden_size: int,
                 num_layers: int, dropout: float, head: str, residual: bool, subtract_last: bool, highway: int,
                 loss: str, rnn_nonlinearity: str):
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head={head!r}; choose one of {HEADS}")
        if loss not in LOSSES:
            raise ValueError(f"loss={loss!r}; choose one of {sorted(LOSSES)}")
        if highway and head != "direct":
            raise ValueError("highway needs the direct head")
        if not target_index or max(target_index) >= n_inputs:
            raise ValueError(f"target_index={target_index} must name input columns 0..{n_inputs - 1}")
        self.horizon, self.n_targets = horizon, len(target_index)
        self.head, self.residual, self.subtract_last, self.loss_name = head, residual, subtract_last, loss
        self.register_buffer("target_index", torch.tensor(target_index, dtype=torch.long), persistent=False)
        self.encoder = make_rnn(cell, n_inputs, hidden_size, num_layers, dropout, nonlinearity=rnn_nonlinearity)
        self.dropout = nn.Dropout(dropout)
        self.highway = nn.Linear(highway, horizon) if highway else None
        if head == "direct":
            self.out = nn.Linear(hidden_size, horizon * self.n_targets)
        else:
            self.decoder = make_rnn(cell, self.n_targets, hidden_size, num_layers, dropout,
                                    nonlinearity=rnn_nonlinearity)
            self.out = nn.Linear(hidden_size, self.n_targets)

    def encode(self, x: torch.Tensor) -> State:
        """x (B, W, F) → final state, each (layers, B, hidden)."""
        assert x.dim() == 3 and x.size(-1) == self.encoder.input_size, f"x must be (B, W, F), got {tuple(x.shape)}"
        _, state = self.encoder(x)
        return as_state(state)

    def last_targets(self, x: torch.Tensor) -> torch.Tensor:
        """The targets' values at the window's last row: (B, 1, T)."""
        return x[:, -1:, :].index_select(-1, self.target_index)

    def shift(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """With ``subtract_last``: the window minus its last row (B, W, F), and the targets' last values
        (B, 1, T) to add back to every forecast; otherwise x unchanged and zeros."""
        if not self.subtract_last:
            return x, x.new_zeros(x.size(0), 1, self.n_targets)
        return x - x[:, -1:, :], self.last_targets(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Training-time forecast (B, H, T): direct, or autoregressive with teacher forcing on ``y``
        (B, H, T). Without ``y`` the autoregressive head runs free (``forecast``)."""
        if self.head == "direct":
            return self._direct(x)
        return self.teacher_forced(x, y) if y is not None else self.forecast(x)

    def _direct(self, x: torch.Tensor) -> torch.Tensor:
        x, ref = self.shift(x)
        top = self.encode(x)[0][-1]  # (B, hidden)
        out = self.out(self.dropout(top)).view(x.size(0), self.horizon, self.n_targets)
        if self.highway is not None:  # (B, k, T) → (B, T, k) → (B, T, H) → (B, H, T)
            recent = x[:, -self.highway.in_features :, :].index_select(-1, self.target_index)
            out = out + self.highway(recent.transpose(1, 2)).transpose(1, 2)
        return (out + self.last_targets(x) if self.residual else out) + ref

    def start(self, x: torch.Tensor) -> tuple[State, torch.Tensor, torch.Tensor]:
        """Autoregressive start: (decoder state, first decoder input (B, 1, T), ref (B, 1, T)). The decoder
        works on values minus ``ref`` (see ``shift``); add ``ref`` to its outputs."""
        x, ref = self.shift(x)
        return self.encode(x), self.last_targets(x), ref

    def step(self, prev: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One or more decoder steps: prev (B, S, T) the values before each step → (B, S, T) next values."""
        out, raw = self.decoder(prev, as_raw(state))
        delta = self.out(self.dropout(out))
        return (prev + delta if self.residual else delta), as_state(raw)

    def teacher_forced(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Step h reads the true value of step h-1 (the window's last value for h=0); one RNN call."""
        assert y.shape[1:] == (self.horizon, self.n_targets), f"y must be (B, H, T), got {tuple(y.shape)}"
        state, first, ref = self.start(x)
        prev = torch.cat([first, (y - ref)[:, :-1]], dim=1)
        return self.step(prev, state)[0] + ref

    def forecast(self, x: torch.Tensor) -> torch.Tensor:
        """Inference-time forecast (B, H, T): autoregressive steps read the previous prediction."""
        if self.head == "direct":
            return self._direct(x)
        (state, prev, ref), outputs = self.start(x), []
        for _ in range(self.horizon):
            prev, state = self.step(prev, state)
            outputs.append(prev)
        return torch.cat(outputs, dim=1) + ref

    def loss(self, forecast: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        """The training loss on scaled values (``mse``, ``mae`` or ``huber``)."""
        return LOSSES[self.loss_name](forecast.float(), y.float(), reduction=reduction)
