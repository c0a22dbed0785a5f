"""An exponential moving average of the weights during training (``callbacks.ema``; Polyak averaging):
after every ``every_n_steps`` optimizer steps, ``shadow = decay * shadow + (1 - decay) * weights``, with the
shadow kept in float32 whatever the training precision.

Validation runs on the EMA weights (swapped in at its start, the training weights swapped back before the
next training batch), so ``best.ckpt`` is chosen by and holds the EMA model, and ``test`` scores it. Every
checkpoint's ``state_dict`` is the EMA model, so evaluate/predict/export/seq2seq.load use it unchanged;
the training weights and the shadow travel in this callback's state, so ``resume=`` continues both exactly.
"""

from __future__ import annotations

import lightning as L
import torch

from seq2seq.errors import CheckpointError


class EMA(L.Callback):
    def __init__(self, decay: float, every_n_steps: int = 1):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay, self.every_n_steps = float(decay), int(every_n_steps)
        self.shadow: dict[str, torch.Tensor] = {}
        self.updates = 0  # how many times the shadow was updated
        self._last_step = 0  # the global step of the last update check
        self._backup: dict[str, torch.Tensor] | None = None  # the training weights while EMA ones are in
        self._loaded: dict | None = None  # callback state of a checkpoint, applied when fitting starts

    @property
    def state_key(self) -> str:
        return "EMA"

    @staticmethod
    def _params(pl_module) -> dict[str, torch.nn.Parameter]:
        return {name: p for name, p in pl_module.named_parameters() if p.is_floating_point()}

    # -- the average -------------------------------------------------------------------------------------
    @torch.no_grad()
    def update(self, pl_module) -> None:
        """One step of ``shadow = decay * shadow + (1 - decay) * weights``."""
        for name, p in self._params(pl_module).items():
            self.shadow[name].mul_(self.decay).add_(p.detach().float(), alpha=1.0 - self.decay)
        self.updates += 1

    def on_fit_start(self, trainer: L.Trainer, pl_module) -> None:
        params = self._params(pl_module)
        if self._loaded is not None:  # resuming: the model holds the EMA weights of the checkpoint
            state, self._loaded = self._loaded, None
            missing = sorted(set(params) - set(state["shadow"]))
            if missing:
                raise CheckpointError(f"the checkpoint's EMA state has no {missing[0]}; resume with the same "
                                      "model config, or start a new run")
            with torch.no_grad():
                for name, p in params.items():
                    p.copy_(state["training"][name].to(p.device, p.dtype))
            self.shadow = {n: state["shadow"][n].to(params[n].device, torch.float32).clone() for n in params}
            self.updates, self._last_step = state["updates"], state["last_step"]
        elif not self.shadow:
            self.shadow = {n: p.detach().float().clone() for n, p in params.items()}
            self._last_step = trainer.global_step

    def on_train_batch_start(self, trainer: L.Trainer, pl_module, batch, batch_idx: int) -> None:
        self._swap_back(pl_module)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        step, n = trainer.global_step, self.every_n_steps
        if step // n > self._last_step // n:  # an update is due (counted in optimizer steps)
            self.update(pl_module)
        self._last_step = step

    def on_train_end(self, trainer: L.Trainer, pl_module) -> None:
        self._swap_back(pl_module)

    # -- validation on the EMA weights -----------------------------------------------------------------
    @torch.no_grad()
    def on_validation_start(self, trainer: L.Trainer, pl_module) -> None:
        if trainer.state.fn != "fit" or not self.shadow or self._backup is not None:
            return
        params = self._params(pl_module)
        self._backup = {n: p.detach().clone() for n, p in params.items()}
        for name, p in params.items():
            p.copy_(self.shadow[name].to(p.dtype))

    @torch.no_grad()
    def _swap_back(self, pl_module) -> None:
        """The training weights back in (after the validation and the checkpoints written at its end)."""
        if self._backup is None:
            return
        for name, p in self._params(pl_module).items():
            p.copy_(self._backup[name])
        self._backup = None

    # -- checkpoints ---------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        if not self.shadow:
            return {}
        return {"decay": self.decay, "every_n_steps": self.every_n_steps, "updates": self.updates,
                "last_step": self._last_step, "shadow": {n: t.cpu().clone() for n, t in self.shadow.items()}}

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module, checkpoint: dict) -> None:
        """The checkpoint's ``state_dict`` holds the EMA model (already so during a validation); the training
        weights go into this callback's state (``state_dict`` above, written just before)."""
        state = checkpoint.get("callbacks", {}).get(self.state_key)
        if not state:
            return
        if self._backup is not None:
            state["training"] = {n: t.cpu().clone() for n, t in self._backup.items()}
            return
        params = self._params(pl_module)
        state["training"] = {n: p.detach().cpu().clone() for n, p in params.items()}
        # Every key of a parameter, also the second name of a tied one (tie_embeddings), which
        # named_parameters() lists once but state_dict() twice.
        names = {id(p): n for n, p in params.items()}
        weights = checkpoint["state_dict"]
        for key, value in pl_module.state_dict(keep_vars=True).items():
            name = names.get(id(value))
            if name is not None and key in weights:
                weights[key] = self.shadow[name].to(weights[key].dtype).cpu().clone()

    def load_state_dict(self, state_dict: dict) -> None:
        if state_dict:
            self._loaded = state_dict
