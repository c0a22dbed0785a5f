#!/usr/bin/env python3
"""Generate ``data/lm-sample.txt``: plain English text for the language-model quick start.

The text is the English side of the project's own embedded corpus ``data/eng-fra.tsv`` (written by
``generate_eng_fra.py``), in file order, grouped into paragraphs of 3 to 7 sentences. Each paragraph is
hard-wrapped at 72 columns and paragraphs are separated by one blank line, like a Project Gutenberg book,
so the model has line breaks and paragraph breaks to learn as well as words.

Usage (regenerates the committed file exactly)::

    python data/generate_lm_text.py                      # same as:
    python data/generate_lm_text.py --source data/eng-fra.tsv --out data/lm-sample.txt --seed 7

Only the Python standard library is used; the output is a deterministic function of the source file and
``--seed``. Tests can import this file and call ``paragraphs(sentences, seed)``.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE / "eng-fra.tsv"
DEFAULT_OUT = HERE / "lm-sample.txt"
DEFAULT_SEED = 7
WIDTH = 72
MIN_SENTENCES, MAX_SENTENCES = 3, 7


def english_sentences(path: Path) -> list[str]:
    """The first column of a ``English<TAB>French`` file, in file order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[0].strip() for line in lines if line.strip()]


def paragraphs(sentences: list[str], seed: int = DEFAULT_SEED) -> list[str]:
    """Consecutive sentences grouped into paragraphs of a seeded random size, each wrapped at WIDTH."""
    rng = random.Random(seed)
    out, start = [], 0
    while start < len(sentences):
        size = rng.randint(MIN_SENTENCES, MAX_SENTENCES)
        out.append(textwrap.fill(" ".join(sentences[start : start + size]), width=WIDTH))
        start += size
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help=f"pairs (default: {DEFAULT_SOURCE})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output text (default: {DEFAULT_OUT})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default: {DEFAULT_SEED}")
    args = ap.parse_args(argv)
    paras = paragraphs(english_sentences(args.source), args.seed)
    text = "\n\n".join(paras) + "\n"
    args.out.write_bytes(text.encode("utf-8"))
    lines = text.count("\n")
    print(f"wrote {args.out}: {len(paras)} paragraphs, {lines} lines, {len(text)} characters, "
          f"{len(set(text))} distinct characters, sha256 {hashlib.sha256(text.encode()).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
