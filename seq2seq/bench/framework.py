"""The framework side: training through the real path (``Seq2SeqTask`` + the datamodule's bucketed
loader + a Lightning ``Trainer``), timed by a callback; decoding through ``Seq2SeqTask.search``."""

from __future__ import annotations

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from seq2seq.bench.measure import PeakMemory, WindowClock
from seq2seq.tokenizers import PAD


class StepClock(Callback):
    """Feeds every finished training step to a ``WindowClock``. The time of a step is the time between
    consecutive step ends, so it includes loading the batch, as the reference's timer does."""

    def __init__(self, clock: WindowClock):
        self.clock = clock

    def on_train_start(self, trainer, pl_module) -> None:
        self.clock.start()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        self.clock.step(batch["tgt_out"].ne(PAD).sum(), loss)  # device scalars: no host sync per step


def bench_trainer(cfg: dict, steps: int, callbacks: list, root_dir: str) -> L.Trainer:
    """``seq2seq.train``'s Trainer arguments (progress bar and ``log_every_n_steps`` included), without
    validation, checkpoints or logger."""
    args = dict(cfg["trainer"], max_steps=steps, max_epochs=-1, limit_train_batches=None, limit_val_batches=0,
                num_sanity_val_steps=0)
    return L.Trainer(**args, logger=False, enable_checkpointing=False, enable_model_summary=False,
                     callbacks=callbacks, use_distributed_sampler=False, default_root_dir=root_dir)


def train_framework(cfg: dict, module, datamodule, bench: dict, device: torch.device, root_dir: str) -> dict:
    total = bench["warmup_steps"] + bench["steps"]
    clock = WindowClock(device, bench["warmup_steps"], bench["window"], total, "seq2seq train")
    memory = PeakMemory(device)
    memory.start()
    bench_trainer(cfg, total, [StepClock(clock)], root_dir).fit(module, datamodule=datamodule)
    return {"train": clock.result(), "memory": memory.result()}


def forced_decoding(decoding: dict, force_len: int) -> dict:
    """``force_len`` N > 0: every output is exactly N tokens (EOS banned before N, forced at N)."""
    if force_len <= 0:
        return decoding
    return dict(decoding, min_len=force_len, max_len_ratio=0.0, max_len_extra=force_len, max_len_cap=force_len)
