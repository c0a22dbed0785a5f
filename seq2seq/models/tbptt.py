"""Truncated backpropagation through time over consecutive windows of the same streams.

Lightning 2 removed its own TBPTT. Here the recurrent state lives in a ``CarriedState`` object next to
the model: each call runs one window from the state the previous window ended in, and keeps the new state
*detached*, so the next window sees the right context while its gradients stop at the window boundary.
Every window is then an ordinary training step under automatic optimisation (gradient clipping,
accumulation, AMP and DDP work unchanged).

``backprop_windows = m > 1`` lets gradients flow back through the last ``m`` windows (TBPTT(k1, k2) with
k1 = bptt, k2 = m·bptt): the inputs of the previous ``m − 1`` windows are kept and re-run from the
(detached) state before them. Re-running costs ``m`` forward passes per step but is what makes it correct:
a graph kept from an earlier step would refer to parameter values the optimizer has since changed.
"""

from __future__ import annotations

import torch

from seq2seq.models.rnn import State


def detach_state(state: State | None) -> State | None:
    return None if state is None else tuple(s.detach() for s in state)


class CarriedState:
    """Per-stage state carried across the windows of one epoch; ``reset()`` at every epoch start."""

    def __init__(self, backprop_windows: int = 1):
        if backprop_windows < 1:
            raise ValueError(f"backprop_windows={backprop_windows} must be >= 1")
        self.backprop_windows = backprop_windows
        self.reset()

    def reset(self) -> None:
        self.state: State | None = None  # detached state before the oldest kept window
        self.history: list[torch.Tensor] = []  # inputs (B, T_i) of the last backprop_windows − 1 windows
        self.windows = 0  # windows run since the last reset

    def __call__(self, model, inputs: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) of the window ``inputs`` (B, T), continuing the streams' previous windows."""
        if self.state is not None and self.state[0].size(1) != inputs.size(0):
            raise ValueError(f"window has {inputs.size(0)} rows but the carried state "
                             f"{self.state[0].size(1)}; call reset() when the batch layout changes")
        windows = [*self.history, inputs]
        state, states = self.state, [self.state]
        for old in windows[:-1]:  # re-run the kept windows, with gradients, from their detached start
            _, state = model.encode(old, state)
            states.append(state)
        logits, state = model(inputs, state)
        states.append(state)
        self.history = windows[-(self.backprop_windows - 1) :] if self.backprop_windows > 1 else []
        self.state = detach_state(states[len(windows) - len(self.history)])
        self.windows += 1
        return logits

    def to_state(self) -> dict:
        """Plain values (tensors, ints) for a checkpoint."""
        return {"windows": self.windows, "state": list(self.state or []), "history": list(self.history)}

    def load(self, saved: dict, device: torch.device) -> None:
        self.windows = int(saved["windows"])
        self.state = tuple(s.to(device) for s in saved["state"]) or None
        self.history = [h.to(device) for h in saved["history"]]
