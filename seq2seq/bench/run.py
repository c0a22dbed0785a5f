"""``run_bench(cfg)``: prepare the data, then for each system train ``warmup + steps`` steps on the same
batch sequence from the same initial weights, decode the same test batches, and report."""

from __future__ import annotations

import itertools
import os
import sys
import tempfile

import lightning as L
import torch
from omegaconf import DictConfig

from seq2seq.bench.config import bench_device, for_device, split_config
from seq2seq.bench.data import decode_batches, prepare
from seq2seq.bench.decode import framework_decoder, reference_decoder, time_decoding
from seq2seq.bench.framework import forced_decoding, train_framework
from seq2seq.bench.measure import PeakMemory, WindowClock, machine_info
from seq2seq.bench.reference import ReferenceSeq2Seq, train_step
from seq2seq.bench.report import ratios, summary, write_json
from seq2seq.bench.weights import build_reference, check_reference_config, copy_weights
from seq2seq.registry import task_kind
from seq2seq.tokenizers import PAD


def setting(cfg: dict, device: torch.device) -> str:
    decoder = "input feeding (per-step loop)" if cfg["model"]["input_feed"] else "no input feeding (one RNN call)"
    return (f"{device.type} {cfg['trainer']['precision']}, {decoder}, bucketed batches of "
            f"{cfg['data']['batch_size']}, {torch.get_num_threads()} threads")


def train_batches(datamodule, n: int):
    """The first ``n`` training batches in the order Lightning's fit draws them (epoch 0, 1, ...)."""
    def epochs():
        for epoch in itertools.count():
            loader = datamodule.train_dataloader()
            loader.batch_sampler.set_epoch(epoch)
            yield from loader
    return itertools.islice(epochs(), n)


def train_reference(model: ReferenceSeq2Seq, cfg: dict, datamodule, bench: dict, device: torch.device) -> dict:
    total = bench["warmup_steps"] + bench["steps"]
    clock = WindowClock(device, bench["warmup_steps"], bench["window"], total, "reference train")
    memory = PeakMemory(device)
    memory.start()
    # The framework's Adam implementation too (optim.fused), so the optimiser is not what differs.
    opt = torch.optim.Adam(model.parameters(), lr=cfg["optim"]["lr"], betas=tuple(cfg["optim"]["betas"]),
                           fused=cfg["optim"]["fused"])
    clip = cfg["trainer"]["gradient_clip_val"]
    model.train()
    clock.start()
    for batch in train_batches(datamodule, total):
        loss = train_step(model, opt, batch, device, clip)
        clock.step(int(batch["tgt_out"].ne(PAD).sum()), loss)
    return {"train": clock.result(), "memory": memory.result()}


def decode_all(label: str, make_decoder, beams: list[int], batches: list[dict], device: torch.device) -> dict:
    return {("greedy" if k == 1 else f"beam{k}"): time_decoding(f"{label} {'greedy' if k == 1 else f'beam {k}'}",
                                                                 batches, make_decoder(k), device)
            for k in beams}


def run_bench(cfg: DictConfig | dict, command: list[str] | None = None) -> dict:
    train_cfg, bench = split_config(cfg)
    if bench["reference"]:
        check_reference_config(train_cfg)
    if bench["threads"] > 0:
        torch.set_num_threads(bench["threads"])
    device = bench_device(bench["device"])
    train_cfg = for_device(train_cfg, device)
    L.seed_everything(train_cfg["seed"], workers=True)
    torch.set_float32_matmul_precision("high")  # as seq2seq.train: TF32 matmuls on GPUs that have them
    datamodule, data_info = prepare(train_cfg, bench["train_pairs"])
    module = task_kind("seq2seq").module.from_config(train_cfg, datamodule)
    reference = None
    if bench["reference"]:  # the same initial weights: losses must then agree step by step
        reference = build_reference(train_cfg["model"], *(t.vocab_size for t in datamodule.tokenizers)).to(device)
        copy_weights(module.model, reference)
    decoding = forced_decoding(train_cfg["decoding"], bench["force_len"])
    batches = decode_batches(datamodule.split("test"), bench["decode_sentences"], decoding["batch_size"])
    beams = sorted({1, bench["beam_size"]})
    with tempfile.TemporaryDirectory() as root:
        fw = {"system": "seq2seq", "setting": setting(train_cfg, device),
              **train_framework(train_cfg, module, datamodule, bench, device, root)}
    module.to(device).eval()  # Lightning's teardown moves the module back to the CPU
    fw["decode"] = decode_all("seq2seq", lambda k: framework_decoder(module, k, decoding, device), beams, batches,
                              device)
    rows = [fw]
    if reference is not None:
        ref = {"system": "reference", "setting": setting(train_cfg, device) + ", hand-written loop",
               **train_reference(reference, train_cfg, datamodule, bench, device)}
        reference.eval()
        ref["decode"] = decode_all("reference", lambda k: reference_decoder(reference, decoding, device), [1],
                                   batches, device)
        rows.append(ref)
    result = {"command": command or [sys.executable, *sys.argv], "machine": machine_info(device), "bench": bench,
              "config": train_cfg, "data": data_info, "decode_sentences": sum(b["src"].size(0) for b in batches),
              "decoding": decoding, "rows": rows, "ratios": ratios(rows), "loss_check": loss_check(rows),
              "load_average_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    print(summary(result), flush=True)
    write_json(result, bench["out"])
    return result


def loss_check(rows: list[dict]) -> str | None:
    """Both systems start from the same weights and see the same batches, so their losses should agree."""
    if len(rows) < 2:
        return None
    fw, ref = rows[0]["train"], rows[1]["train"]
    return (f"training loss, seq2seq vs reference (same initial weights, same batches): first step "
            f"{fw['loss_first']:.4f} vs {ref['loss_first']:.4f}, last step {fw['loss_last']:.4f} vs {ref['loss_last']:.4f}")
