"""Decoding cost against output length and source length, with the real search functions (issue #13).

Builds a randomly initialised character-level ``Seq2SeqModel`` (1-layer bidirectional LSTM encoder, LSTM
decoder, general attention) and decodes ONE line, as ``predict`` does, with beam search (the default
decoding: beam 5, GNMT length penalty, keep_greedy) and greedy search. Output lengths are forced:
``min_len`` = the budget, so EOS is blocked until the last step, where it is forced.

1. Fixed source length, ``--steps`` output tokens: the time of every decoding step (from one ``step`` call
   returning to the next: the model step plus the search's bookkeeping), the median step per bucket of
   steps. Flat means nothing per step grows with the output so far.
2. Fixed output length, source lengths 100 … 16,000 characters: total seconds (encoder + search) and the
   ratio per doubling of the source (2.0 = linear; attention over the source is O(S) per step).

Times are the process's CPU time by default (``--clock cpu``: what the decoding itself costs, whatever
else shares the cores; ``--clock wall`` for wall-clock time on a quiet machine), each number the fastest
of ``--runs`` runs.

    OMP_NUM_THREADS=1 python benchmarks/decode_length.py [--runs 5] [--search /tmp/old/search.py]

``--search`` times another copy of ``seq2seq/models/search.py`` (e.g. an older commit's) on the same model.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shlex
import statistics
import sys
import time

import torch

from seq2seq.hydra_schemas import schema_defaults
from seq2seq.inference.translation import build_seq2seq_model
from seq2seq.models.seq2seq import Seq2SeqModel
from seq2seq.tasks.seq2seq.config import Seq2SeqModelConfig

BUCKETS = ((10, 50), (50, 100), (100, 200), (200, 300), (300, 400), (400, 500))
SOURCES = (100, 200, 400, 800, 1600, 3200, 6400, 12800, 16000)
SLOPE_FROM = 1600  # below it, fixed per-step costs hide the source length


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=500, help="output tokens in part 1")
    p.add_argument("--source-len", type=int, default=4000, help="source characters in part 1")
    p.add_argument("--out-len", type=int, default=100, help="output tokens in part 2")
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--hidden", type=int, default=128, help="encoder hidden size per direction")
    p.add_argument("--vocab", type=int, default=100)
    p.add_argument("--runs", type=int, default=5, help="the fastest of this many runs")
    p.add_argument("--max-source", type=int, default=SOURCES[-1], help="longest source in part 2")
    p.add_argument("--clock", default="cpu", choices=["cpu", "wall"], help="process CPU time or wall time")
    p.add_argument("--search", default=None, help="path of another search.py to time instead")
    return p.parse_args(argv)


def load_search(path: str | None):
    if path is None:
        from seq2seq.models import search
        return search
    spec = importlib.util.spec_from_file_location("search_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


class StepClock:
    """Wraps a model for search: records when ``encode`` and each ``step`` return."""

    def __init__(self, model: Seq2SeqModel, now):
        self.model, self.now, self.marks = model, now, []

    def encode(self, src, lengths):
        out = self.model.encode(src, lengths)
        self.marks.append(self.now())
        return out

    def step(self, tokens, state, source):
        out = self.model.step(tokens, state, source)
        self.marks.append(self.now())
        return out


def decode_once(search, model, source_len: int, out_len: int, beam: int, args) -> tuple[list[float], float]:
    """One line of ``source_len`` random characters → (per-step seconds, total seconds)."""
    src = torch.randint(4, args.vocab, (1, source_len))
    lengths, budget = torch.tensor([source_len]), torch.tensor([out_len])
    clock = StepClock(model, CLOCKS[args.clock])
    start = clock.now()
    if beam == 1:
        res = search.greedy_search(clock, src, lengths, budget, min_len=out_len)
    else:
        res = search.beam_search(clock, src, lengths, budget, beam_size=beam, penalty="gnmt", min_len=out_len,
                                 keep_greedy=True)
    total = clock.now() - start
    assert res.tokens.size(-1) == out_len, "output length not forced"
    return [b - a for a, b in zip(clock.marks, clock.marks[1:])], total


def per_step_table(search, model, args) -> list[str]:
    rows = [f"| steps | beam-{args.beam} ms/token | greedy ms/token |", "|---|---|---|"]
    runs = {beam: [decode_once(search, model, args.source_len, args.steps, beam, args)
                   for _ in range(args.runs)] for beam in (args.beam, 1)}
    for lo, hi in BUCKETS:
        if hi > args.steps:
            break
        # The median step of the bucket (robust to a preempted step), the fastest run (the least disturbed
        # by other processes on a shared machine).
        cells = [min(1e3 * statistics.median(steps[lo:hi]) for steps, _ in runs[beam]) for beam in (args.beam, 1)]
        rows.append(f"| {lo}–{hi - 1} | {cells[0]:.3f} | {cells[1]:.3f} |")
    totals = [min(total for _, total in runs[beam]) for beam in (args.beam, 1)]
    rows.append(f"| total, {args.steps} tokens | {totals[0]:.2f} s | {totals[1]:.2f} s |")
    return rows


def source_table(search, model, args) -> list[str]:
    rows = [f"| source chars | beam-{args.beam} s | per doubling | greedy s | per doubling |", "|---|---|---|---|---|"]
    measured = {}
    for n in (n for n in SOURCES if n <= args.max_source):
        cells = [min(decode_once(search, model, n, args.out_len, beam, args)[1] for _ in range(args.runs))
                 for beam in (args.beam, 1)]
        ratios = ["—", "—"]
        if measured:  # (t2 / t1) ** (1 / log2(n2 / n1)): the ratio for one doubling
            last = max(measured)
            ratios = [f"{(c / p) ** (1 / math.log2(n / last)):.2f}" for c, p in zip(cells, measured[last])]
        rows.append(f"| {n:,} | {cells[0]:.3f} | {ratios[0]} | {cells[1]:.3f} | {ratios[1]} |")
        measured[n] = cells
    lo, hi = min((n for n in measured if n >= SLOPE_FROM), default=min(measured)), max(measured)
    if hi > lo:  # log-log slope: 1 = linear in the source length, 2 = quadratic
        slopes = [math.log(b / a) / math.log(hi / lo) for a, b in zip(measured[lo], measured[hi])]
        rows.append(f"| slope {lo:,}→{hi:,} (log-log) | | {slopes[0]:.2f} | | {slopes[1]:.2f} |")
    return rows


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.manual_seed(0)
    config = {**schema_defaults(Seq2SeqModelConfig), "cell": "lstm", "embedding_dim": 64, "hidden_size": args.hidden,
              "encoder_layers": 1, "decoder_layers": 1, "bidirectional": True, "attention": "general"}
    model = build_seq2seq_model(config, args.vocab, args.vocab).eval()
    search = load_search(args.search)
    print(f"search: {search.__file__}; clock: {args.clock}; threads: {torch.get_num_threads()} "
          f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}); load average {os.getloadavg()[0]:.2f}")
    with torch.inference_mode():
        decode_once(search, model, 100, 20, args.beam, args)  # warm-up
        print(f"\nSource of {args.source_len:,} characters, {args.steps} output tokens:\n")
        print("\n".join(per_step_table(search, model, args)))
        print(f"\nOutput of {args.out_len} tokens:\n")
        print("\n".join(source_table(search, model, args)))
    print(f"\nload average {os.getloadavg()[0]:.2f}; command: {shlex.join(sys.argv if argv is None else argv)}")


if __name__ == "__main__":
    main()
