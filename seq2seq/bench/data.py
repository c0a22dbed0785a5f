"""The bench's data: prepared by the framework exactly as ``seq2seq.train`` prepares it (timed, never
from the cache), a seeded subset of the training split, and the decoding batches both systems share."""

from __future__ import annotations

import logging
import time

import numpy as np

from seq2seq.data.pairs.collate import collate_sources
from seq2seq.data.pairs.preparation import PairSplit
from seq2seq.registry import task_kind

log = logging.getLogger(__name__)


def subset(split: PairSplit, keep: np.ndarray) -> PairSplit:
    return PairSplit([split.src_text[i] for i in keep], [split.tgt_text[i] for i in keep],
                     split.src.select(keep), split.tgt.select(keep))


def prepare(cfg: dict, train_pairs: int | None):
    """The datamodule of the run, set up cold (read, normalise, split, fit tokenizers, encode, filter);
    returns it and a description of the data for the report."""
    datamodule = task_kind(cfg["task"]["kind"]).datamodule(cfg["data"], cfg["tokenizer"], None, cfg["seed"])
    start = time.perf_counter()
    datamodule.setup("fit")
    seconds = time.perf_counter() - start
    splits = datamodule.prepared.splits
    available = len(splits["train"])
    if train_pairs is not None and train_pairs < available:
        keep = np.sort(np.random.default_rng(cfg["data"]["split_seed"]).permutation(available)[:train_pairs])
        splits["train"] = subset(splits["train"], keep)
    src_tok, tgt_tok = datamodule.tokenizers
    info = {"path": cfg["data"]["path"], "prepare_seconds": seconds, "train_available": available,
            "pairs": {name: len(s) for name, s in splits.items()},
            "selection": (f"training split cut to a random {len(splits['train'])} of its {available} pairs "
                          f"(numpy default_rng(data.split_seed={cfg['data']['split_seed']}))"
                          if len(splits["train"]) < available else "the whole training split"),
            "vocab": {"source": src_tok.vocab_size, "target": tgt_tok.vocab_size},
            "mean_tgt_tokens": float(splits["train"].tgt.lengths.mean())}
    print(f"[data] prepared {info['pairs']} from {available} training pairs in {seconds:.1f}s (cold, no cache); "
          f"vocab {info['vocab']}", flush=True)
    return datamodule, info


def decode_batches(split: PairSplit, n: int, batch_size: int) -> list[dict]:
    """The first ``n`` sentences of ``split`` in length-sorted batches (as ``Seq2SeqTask.translate`` does)."""
    n = min(n, len(split))
    order = sorted(range(n), key=lambda i: len(split.src[i]))
    return [collate_sources(rows, [split.src[i] for i in rows])
            for rows in (order[s : s + batch_size] for s in range(0, n, batch_size))]
