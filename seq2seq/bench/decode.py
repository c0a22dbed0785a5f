"""Decoding speed: sentences per second over the same length-sorted batches for both systems."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from seq2seq.bench.measure import PeakMemory, sync
from seq2seq.bench.reference import ReferenceSeq2Seq, greedy
from seq2seq.models.search import max_lengths
from seq2seq.tokenizers import PAD


def time_decoding(label: str, batches: list[dict], decode: Callable[[dict], torch.Tensor],
                  device: torch.device) -> dict:
    """``decode(batch)`` returns output ids (B, ..., T) padded with PAD; timed from the host-side batch
    (copy to the device included) to the last output, with a sync before the clock is read."""
    memory = PeakMemory(device)
    memory.start()
    sentences, out_tokens = 0, []
    every = max(1, len(batches) // 5)
    sync(device)
    start = time.perf_counter()
    for i, batch in enumerate(batches, start=1):
        tokens = decode(batch)
        out_tokens.append(tokens.ne(PAD).sum())
        sentences += batch["src"].size(0)
        if i % every == 0 or i == len(batches):
            sync(device)
            elapsed = time.perf_counter() - start
            print(f"[{label}] {sentences} sentences, {sentences / elapsed:.1f} sent/s", flush=True)
    sync(device)
    seconds = time.perf_counter() - start
    return {"sent_s": sentences / seconds, "seconds": seconds, "sentences": sentences,
            "mean_out_tokens": sum(int(t) for t in out_tokens) / max(1, sentences), "memory": memory.result()}


def framework_decoder(module, beam_size: int, decoding: dict, device: torch.device) -> Callable[[dict], torch.Tensor]:
    def decode(batch: dict) -> torch.Tensor:
        src = batch["src"].to(device, non_blocking=True)
        return module.search(src, batch["src_lengths_cpu"], beam_size=beam_size, decoding=decoding).tokens
    return decode


def reference_decoder(model: ReferenceSeq2Seq, decoding: dict, device: torch.device) -> Callable[[dict], torch.Tensor]:
    """Greedy, with the framework's per-sentence output budget and minimum length."""
    def decode(batch: dict) -> torch.Tensor:
        src = batch["src"].to(device, non_blocking=True)
        budget = max_lengths(batch["src_lengths_cpu"], decoding["max_len_ratio"], decoding["max_len_extra"],
                             decoding["max_len_cap"]).to(device, non_blocking=True)
        return greedy(model, src, batch["src_lengths_cpu"], budget, decoding["min_len"])
    return decode
