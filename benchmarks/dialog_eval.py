"""A chatbot checkpoint on its test split, for several decodings, on all test pairs and on the test pairs
whose (context, response) never occurs in training.

DailyDialog's official split files share dialogs: 1,239 of its 6,740 test pairs (18.4%) are also training
pairs (the training log counts them). ``seq2seq.evaluate`` scores the split as published; this script adds
the same metrics on the 5,501 unseen pairs, so a reader can see how much of a score is recall.

    python benchmarks/dialog_eval.py outputs/chatbot/<run>/checkpoints/best.ckpt --out dailydialog.json
    python benchmarks/dialog_eval.py CKPT --decoding beam: sample-0.7:strategy=sample,temperature=0.7,top_p=0.9,seed=1

Each ``--decoding`` is ``name:key=value,...`` (nothing after the colon: the checkpoint's own decoding).
Metrics: perplexity (teacher forced), sacrebleu corpus BLEU-4, BLEU-1, BLEU-2 and chrF, distinct-1/2 and
the average reply length (``seq2seq.tasks.seq2seq.metrics``), with sacrebleu's signatures in the output. With NLTK
installed (``pip install nltk``; not a dependency of the project) also ``plato_bleu_1``/``plato_bleu_2``: the
average over replies of NLTK's sentence BLEU with smoothing method 7 and weights (1,0,0,0) / (0.5,0.5,0,0) on
white-space tokens, the way the PLATO paper's evaluation code scores DailyDialog (its seq2seq baseline's
0.336 / 0.268 are on that scale, 0-1); corpus BLEU-1/2 are lower by construction.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

import seq2seq
from seq2seq.data.dialogs.reader import read_dialog_splits
from seq2seq.tasks.seq2seq.metrics import perplexity, scorer_signatures, text_metrics

DEFAULT_DECODINGS = ["beam:", "sample-0.7:strategy=sample,temperature=0.7,top_p=0.9,seed=1",
                     "sample-1.0:strategy=sample,temperature=1.0,top_p=1.0,seed=1"]


def parse_decoding(text: str) -> tuple[str, dict]:
    name, _, spec = text.partition(":")
    options = {}
    for item in filter(None, spec.split(",")):
        key, _, raw = item.partition("=")
        options[key] = json.loads(raw) if raw[:1] in "0123456789-tfn[{" else raw
    return name, options


def plato_bleu(outputs: list[str], references: list[str]) -> dict:
    """PLATO's BLEU-1/2 (see the module docstring); empty without NLTK."""
    try:
        from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    except ImportError:
        return {}
    smooth = SmoothingFunction().method7
    out = {}
    for name, weights in (("plato_bleu_1", (1, 0, 0, 0)), ("plato_bleu_2", (0.5, 0.5, 0, 0))):
        scores = []
        for hyp, ref in zip(outputs, references):
            try:
                scores.append(sentence_bleu([ref.split()], hyp.split(), weights=weights, smoothing_function=smooth))
            except (ZeroDivisionError, ValueError):  # an empty reply, as PLATO's code scores it
                scores.append(0.0)
        out[name] = sum(scores) / max(len(scores), 1)
    return out


def score(outputs: list[str], references: list[str]) -> dict:
    return {"examples": len(references), **text_metrics(outputs, references), **plato_bleu(outputs, references)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ckpt")
    parser.add_argument("--decoding", nargs="+", default=DEFAULT_DECODINGS)
    parser.add_argument("--split", default="test")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    predictor = seq2seq.load(args.ckpt)
    splits = read_dialog_splits(predictor.config["data"])
    sources, references = splits[args.split]
    training = set(zip(*splits["train"]))
    unseen = [i for i, pair in enumerate(zip(sources, references)) if pair not in training]
    print(f"{args.split}: {len(sources)} pairs, {len(sources) - len(unseen)} of them also training pairs; "
          f"{len(unseen)} unseen", flush=True)
    pick = lambda items: [items[i] for i in unseen]
    batch = predictor.decoding({})["batch_size"]
    ppl = {"all": perplexity(predictor.teacher_forced_nll(sources, references, batch)),  # decoding-independent
           "unseen": perplexity(predictor.teacher_forced_nll(pick(sources), pick(references), batch))}
    rows = []
    for text in args.decoding:
        name, given = parse_decoding(text)
        decoding = predictor.decoding(given)
        started = time.perf_counter()
        outputs = [nbest[0][0] for nbest in predictor.nbest(sources, decoding)]
        seconds = time.perf_counter() - started
        for subset, (ref, out) in {"all": (references, outputs), "unseen": (pick(references), pick(outputs))}.items():
            row = {"decoding": name, "options": given, "pairs": subset, "decode_s": round(seconds, 1),
                   "ppl": ppl[subset], **score(out, ref)}
            rows.append(row)
            shown = {k: round(v, 4) if isinstance(v, float) and math.isfinite(v) else v for k, v in row.items()}
            print(json.dumps(shown), flush=True)
    report = {"checkpoint": str(args.ckpt), "split": args.split, "signatures": scorer_signatures(), "rows": rows}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
