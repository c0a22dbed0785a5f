"""Encoding throughput of a tokenizer on the Tatoeba eng-fra pairs (both sides), in sentences per second.

Trains a SentencePiece BPE model (vocab 8000) on all pairs, then times ``encode_batch`` over every source
and target sentence; the result is the median of ``--runs`` runs.

    python benchmarks/tokenize_speed.py [--path ../shared/data/translation/eng-fra/fra.txt] [--kind word]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

from seq2seq.data.pairs.reader import read_parallel_tsv
from seq2seq.tokenizers import build_tokenizer

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = "../shared/data/translation/eng-fra/fra.txt"  # relative to the repository root


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--path", default=DEFAULT_PATH, help="tab-separated pairs (relative paths: to the repo root)")
    p.add_argument("--kind", default="sentencepiece", choices=["sentencepiece", "word", "char"])
    p.add_argument("--model-type", default="bpe", choices=["bpe", "unigram", "char", "word"])
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--threads", type=int, default=None, help="SentencePiece encoding threads (default: all cores)")
    p.add_argument("--runs", type=int, default=3)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    path = Path(args.path) if Path(args.path).is_absolute() else ROOT / args.path
    src, tgt, _ = read_parallel_tsv(path)
    texts = src + tgt
    tok = build_tokenizer({"kind": args.kind, "vocab_size": args.vocab_size, "model_type": args.model_type})
    start = time.perf_counter()
    tok.fit(texts)
    fit_s = time.perf_counter() - start
    if args.threads:
        tok.num_threads = args.threads
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        ids, _, n_unk = tok.encode_batch(texts)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    rate = len(texts) / median
    name = f"{args.kind} {args.model_type} vocab={tok.vocab_size}" if args.kind == "sentencepiece" else args.kind
    print(f"{name}: {len(texts):,} sentences ({len(src):,} pairs, {ids.size:,} tokens, {n_unk} unknown) encoded "
          f"in {median:.2f} s (median of {args.runs}) = {rate:,.0f} sentences/s on {os.cpu_count()} CPU cores "
          f"(threads={getattr(tok, 'num_threads', 1)}; fit {fit_s:.1f} s)")
    print("command: python " + shlex.join([os.path.relpath(__file__, ROOT), *sys.argv[1:]]))
    return rate


if __name__ == "__main__":
    main()
