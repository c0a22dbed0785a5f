#!/usr/bin/env python3
"""Generate ``data/sentiment.tsv``: short synthetic movie and product reviews labelled positive/negative.

The reviews come from the templates and word lists below, not from any external corpus. The label is
decided by the same rules a reader would use, so a model has to learn more than a bag of words:

* polarity words: ``good``/``awful``, ``loved``/``hated``, ``worth the money``/``a waste of money``;
* negation flips them: ``not good``, ``isn't bad``, ``never boring``, ``far from perfect``,
  ``I would not recommend``, ``I don't regret buying``;
* contrast: in ``A, but B`` and ``Although A, B`` the clause B decides (``The plot is dull, but the acting
  is superb.`` is positive);
* intensifiers (``very``, ``truly``) and neutral filler (``I watched it on Sunday.``) change nothing.

Usage (regenerates the committed file exactly)::

    python data/generate_sentiment.py                   # same as:
    python data/generate_sentiment.py --out data/sentiment.tsv --seed 7 --count 2000

Only the standard library is used; the output depends only on ``--seed`` and ``--count``.
``generate_reviews(n, seed)`` returns the (text, label) pairs, so a test can compare the committed file.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

DEFAULT_SEED = 7
DEFAULT_COUNT = 2000
DEFAULT_OUT = Path(__file__).resolve().parent / "sentiment.tsv"

SUBJECTS = {
    "movie": ["the movie", "this film", "the plot", "the acting", "the soundtrack", "the ending", "the dialogue",
              "the cast", "the story", "the director's work", "the special effects", "the sequel"],
    "product": ["the battery", "this phone", "the blender", "these headphones", "the screen", "the delivery",
                "the price", "customer service", "the keyboard", "the camera", "this vacuum", "the charger"],
}
PLURAL = {"the special effects", "these headphones"}
OBJECTS = {"movie": ["this movie", "the film", "this show", "the sequel"],
           "product": ["this phone", "the blender", "this laptop", "the kettle", "this vacuum"]}
POSITIVE = ["good", "great", "excellent", "wonderful", "fantastic", "enjoyable", "impressive", "brilliant",
            "delightful", "superb", "solid", "charming", "perfect", "lovely", "reliable"]
NEGATIVE = ["bad", "awful", "terrible", "boring", "disappointing", "poor", "dull", "mediocre", "annoying",
            "useless", "weak", "clumsy", "broken", "cheap", "forgettable"]
INTENSIFIERS = ["", "", "", "very ", "really ", "truly ", "quite ", "incredibly ", "pretty "]
# (verb phrase, polarity, negated form)
VERBS = {
    "movie": [("I loved", 1, "I did not love"), ("I enjoyed", 1, "I didn't enjoy"),
              ("I would recommend", 1, "I would not recommend"), ("I hated", 0, "I didn't hate"),
              ("I was bored by", 0, "I was never bored by"), ("I walked out of", 0, "I never walked out of")],
    "product": [("I love", 1, "I do not love"), ("I would recommend", 1, "I would not recommend"),
                ("I am happy with", 1, "I am not happy with"), ("I regret buying", 0, "I don't regret buying"),
                ("I returned", 0, "I never returned"), ("I hate", 0, "I don't hate")],
}
VERDICTS = {"movie": [("worth every minute", 1), ("a must-see", 1), ("a waste of time", 0), ("a total letdown", 0)],
            "product": [("worth the money", 1), ("a joy to use", 1), ("a waste of money", 0), ("a pain to use", 0)]}
FILLER = {"movie": ["I watched it on Sunday.", "We saw it twice.", "My friend chose it.", "", ""],
          "product": ["I bought it last month.", "It arrived on Tuesday.", "It comes in three colours.", "", ""]}
# (copula template, flips polarity); {be} is "is" or "are", {was} "was" or "were", {s} an "s" or nothing
COPULAS = [("{subj} {be} {i}{a}", False), ("{subj} {was} {i}{a}", False), ("{subj} {be} not {a}", True),
           ("{subj} {be}n't {a}", True), ("{subj} {was} never {a}", True), ("{subj} {be} far from {a}", True),
           ("{subj} {be} not {a} at all", True), ("{subj} seem{s} {i}{a}", False)]


def clause(rng: random.Random, domain: str, polarity: int) -> str:
    """One clause with the given polarity (1 positive, 0 negative), lower-case, no final stop."""
    kind = rng.random()
    if kind < 0.6:
        template, flips = rng.choice(COPULAS)
        words = POSITIVE if polarity != flips else NEGATIVE
        subj = rng.choice(SUBJECTS[domain])
        plural = subj in PLURAL
        return template.format(subj=subj, be="are" if plural else "is", was="were" if plural else "was",
                               s="" if plural else "s", i=rng.choice(INTENSIFIERS), a=rng.choice(words))
    if kind < 0.85:
        negate = rng.random() < 0.35
        verb, _, negated = rng.choice([v for v in VERBS[domain] if (v[1] == polarity) != negate])
        return f"{negated if negate else verb} {rng.choice(OBJECTS[domain])}"
    phrase, _ = rng.choice([v for v in VERDICTS[domain] if v[1] == polarity])
    return f"{rng.choice(OBJECTS[domain])} is {phrase}"


def review(rng: random.Random) -> tuple[str, str]:
    """A (text, label) review: one clause, two agreeing clauses, or a contrast decided by its last clause."""
    domain = rng.choice(sorted(SUBJECTS))
    label = rng.randint(0, 1)
    shape = rng.random()
    if shape < 0.4:
        text = clause(rng, domain, label)
    elif shape < 0.6:
        text = f"{clause(rng, domain, label)} and {clause(rng, domain, label)}"
    elif shape < 0.85:
        text = f"{clause(rng, domain, 1 - label)}, but {clause(rng, domain, label)}"
    else:
        text = f"although {clause(rng, domain, 1 - label)}, {clause(rng, domain, label)}"
    text = text[0].upper() + text[1:] + "."
    filler = rng.choice(FILLER[domain])
    if filler:
        text = f"{filler} {text}" if rng.random() < 0.5 else f"{text} {filler}"
    return text, "positive" if label else "negative"


def generate_reviews(n: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> list[tuple[str, str]]:
    """``n`` distinct reviews (deterministic in ``n`` and ``seed``)."""
    rng = random.Random(seed)
    seen, out = set(), []
    while len(out) < n:
        text, label = review(rng)
        if text not in seen:
            seen.add(text)
            out.append((text, label))
    return out


def rule_label(text: str) -> str:
    """The label by a reader's rules, written apart from the generator: drop filler sentences, keep the
    deciding clause (after "but", or the main clause after "although ..."), then read its verb, verdict
    or adjective, flipped by a negation."""
    for filler in filter(None, FILLER["movie"] + FILLER["product"]):
        text = text.replace(filler, "").strip()
    text = text.rstrip(".")
    if ", but " in text:
        text = text.split(", but ")[1]
    elif text.startswith("Although "):
        text = text.split(", ", 1)[1]
    text = text.split(" and ")[0].lower()
    for verb, polarity, negated in VERBS["movie"] + VERBS["product"]:
        if text.startswith((verb.lower() + " ", negated.lower() + " ")):
            return "positive" if polarity != text.startswith(negated.lower() + " ") else "negative"
    for phrase, polarity in VERDICTS["movie"] + VERDICTS["product"]:
        if text.endswith(phrase):
            return "positive" if polarity else "negative"
    word = next(w for w in text.split() if w in POSITIVE or w in NEGATIVE)
    negated = any(n in f" {text} " for n in (" not ", "n't ", " never ", " far from "))
    return "positive" if (word in POSITIVE) != negated else "negative"


def _self_check() -> None:
    """Hand-written reviews get the labels a reader would give, and so does every generated review."""
    cases = {"The plot isn't bad.": "positive", "This phone is far from perfect.": "negative",
             "The acting is dull, but the ending is superb.": "positive",
             "Although I loved this movie, the sequel was never enjoyable.": "negative",
             "I don't regret buying the kettle. I bought it last month.": "positive",
             "These headphones aren't cheap at all.": "positive",
             "I would not recommend this laptop and the screen is cheap.": "negative"}
    for text, label in cases.items():
        assert rule_label(text) == label, (text, label)
    for text, label in generate_reviews(3000, 0):
        assert rule_label(text) == label, (text, label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    args = parser.parse_args()
    _self_check()
    reviews = generate_reviews(args.count, args.seed)
    args.out.write_text("text\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in reviews), encoding="utf-8")
    labels = Counter(lab for _, lab in reviews)
    words = [len(t.split()) for t, _ in reviews]
    negated = sum(any(w in t for w in (" not ", "n't ", " never ", " far from ")) for t, _ in reviews)
    contrast = sum(", but " in t or t.startswith(("Although", "although")) or ". Although" in t for t, _ in reviews)
    print(f"wrote {args.out}: {len(reviews)} reviews ({labels['positive']} positive, {labels['negative']} negative), "
          f"{min(words)}-{max(words)} words (mean {sum(words) / len(words):.1f}), {negated} with a negation, "
          f"{contrast} with a contrast")


if __name__ == "__main__":
    main()
