#!/usr/bin/env python3
"""Helpers of ``onmt_budget.sh``: render OpenNMT-py's config, count its steps, score both systems.

Both systems are scored by the same function: sacrebleu's corpus BLEU and chrF (default settings) of
detokenised hypotheses against the ``test.tsv`` references written by the anchors' ``prepare_data.py``,
with sacrebleu's signature strings in the result.

usage:
  onmt_budget.py render TEMPLATE OUT KEY=VALUE...      fill ${KEY} placeholders of the anchors' train.yaml.in
  onmt_budget.py score --refs test.tsv [--reverse] --onmt HYP --ours PREDICTIONS --onmt-log train.log
                       --ours-log train.log --budget-min M --out results.json
"""
import argparse
import json
import re
import sys
from pathlib import Path

SPACE = "\u2581"


def render(template: str, out: str, pairs: list[str]) -> None:
    text = Path(template).read_text(encoding="utf-8")
    for pair in pairs:
        key, value = pair.split("=", 1)
        text = text.replace("${" + key + "}", value)
    Path(out).write_text(text, encoding="utf-8")


def detok_chars(line: str) -> str:
    """OpenNMT-py's output is one character per token with the space written as U+2581."""
    return "".join(line.split()).replace(SPACE, " ").strip()


def read_lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").split("\n")[:-1]


def references(tsv: str, reverse: bool) -> list[str]:
    return [row.split("\t")[0 if reverse else 1] for row in read_lines(tsv)]


def corpus_scores(hyps: list[str], refs: list[str]) -> dict:
    import sacrebleu

    if len(hyps) != len(refs):
        raise SystemExit(f"error: {len(hyps)} hypotheses for {len(refs)} references")
    bleu, chrf = sacrebleu.BLEU(), sacrebleu.CHRF()
    b, c = bleu.corpus_score(hyps, [refs]), chrf.corpus_score(hyps, [refs])
    return {"bleu": round(b.score, 2), "chrf": round(c.score, 2), "sentences": len(hyps),
            "bleu_signature": str(bleu.get_signature()), "chrf_signature": str(chrf.get_signature())}


def onmt_steps(log: str) -> int:
    steps = re.findall(r"Step\s+(\d+)/", Path(log).read_text(encoding="utf-8", errors="replace"))
    return int(steps[-1]) if steps else 0


def score(a: argparse.Namespace) -> None:
    refs = references(a.refs, a.reverse)
    rows = {}
    if a.onmt:
        rows["OpenNMT-py 3.5.1"] = dict(corpus_scores([detok_chars(x) for x in read_lines(a.onmt)], refs),
                                        steps=onmt_steps(a.onmt_log), checkpoint=a.onmt_ckpt)
    if a.ours:
        rows["seq2seq"] = dict(corpus_scores([x.strip() for x in read_lines(a.ours)], refs),
                               steps=a.ours_step_count, checkpoint=a.ours_ckpt)
    result = {"budget_min": a.budget_min, "test": a.refs, "reverse": a.reverse, "systems": rows}
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("| system | steps | test chrF | test BLEU |\n|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['steps']} | {r['chrf']} | {r['bleu']} |")
    for r in rows.values():
        print(r["chrf_signature"], "|", r["bleu_signature"])
        break


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "render":
        render(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["score"])
    ap.add_argument("--refs", required=True)
    ap.add_argument("--reverse", action="store_true")
    ap.add_argument("--onmt")
    ap.add_argument("--onmt-log")
    ap.add_argument("--onmt-ckpt")
    ap.add_argument("--ours")
    ap.add_argument("--ours-ckpt")
    ap.add_argument("--ours-step-count", type=int)
    ap.add_argument("--budget-min", type=float, required=True)
    ap.add_argument("--out", required=True)
    score(ap.parse_args())


if __name__ == "__main__":
    main()
