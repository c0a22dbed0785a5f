#!/usr/bin/env python3
"""Generate ``data/ner-sample.conll``: synthetic news-style sentences annotated with PER, LOC, ORG and MISC
entities in the IOB2 (BIO) scheme, two columns (``token tag``), a blank line after each sentence and a
``-DOCSTART- O`` line before every document of 25 sentences.

Every sentence comes from the templates and name lists below, written for this project (no text from
CoNLL-2003 or any other corpus); about half of the names are invented from syllables, so most valid/test
entities are unseen in training. Some names are ambiguous on purpose (Jordan, Washington, Chester and
Victoria are people and places; Lincoln and Orion are places and organisations), some sentences are
upper-case headlines, and some have no entity, so a tagger has to use context, casing and characters.

Usage (regenerates the committed file exactly)::

    python data/generate_ner_sample.py                      # same as:
    python data/generate_ner_sample.py --out data/ner-sample.conll --seed 7 --sentences 600

Standard library only; the output is a deterministic function of ``--seed`` and ``--sentences``.
``generate_sentences(n, seed)`` returns the sentences as lists of (token, tag) pairs.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

DEFAULT_SEED = 7
DEFAULT_SENTENCES = 600
DEFAULT_OUT = Path(__file__).resolve().parent / "ner-sample.conll"
DOC_SIZE = 25

FIRST = ["Anna", "Marek", "Lucia", "Tomas", "Ingrid", "Kofi", "Mei", "Rafael", "Sofia", "Piotr", "Amara",
         "Jonas", "Elena", "Hamid", "Claire", "Dmitri", "Nadia", "Oscar", "Yuki", "Bruno", "Leila", "Felix",
         "Greta", "Samir", "Ruth", "Jordan", "Victoria", "Chester"]
LAST = ["Halvorsen", "Okafor", "Brandt", "Castellano", "Novak", "Lindqvist", "Mbeki", "Tanaka", "Duarte",
        "Kowalski", "Fairbanks", "Moreau", "Haddad", "Petrov", "Quinlan", "Ostrander", "Vasquez", "Whitcombe",
        "Adeyemi", "Sorensen", "Washington", "Kerrigan"]
LOC = ["Lisbon", "Nairobi", "Oslo", "Lima", "Hanoi", "Kraków", "Valencia", "Dakar", "Tbilisi", "Quebec",
       "Jordan", "Washington", "Chester", "Victoria", "Lincoln", "New Harbor", "Port Ellis", "San Aurelio",
       "North Vale", "Lake Corran", "the Red Coast", "East Marrow", "Brazil", "Norway", "Kenya", "Peru",
       "Vietnam", "Canada", "Portugal", "Senegal"]
ORG = ["Northwind Bank", "Bluefield Motors", "Harbor Times", "Orion", "Lincoln", "Corran Energy",
       "Vale United", "Atlas Freight", "the Ministry of Trade", "Silverline Airways", "Greystone Capital",
       "Ellis Rovers", "the Red Coast Council", "Marrow Steel", "Kestrel Labs", "Union of Port Workers",
       "Aurelio FC", "Westmark Insurance", "Quillon Press", "Norvik Telecom"]
NATIONALITY = ["Brazilian", "Norwegian", "Kenyan", "Peruvian", "Vietnamese", "Canadian", "Portuguese",
               "Senegalese", "Georgian", "Polish"]
EVENT = ["Atlantic Cup", "Harbor Marathon", "Spring Festival", "Lunar Games", "Coast Derby", "Orion Prize",
         "Vale Open", "World Rowing Trophy"]
# Invented names (about half of all names) make most valid/test entities unseen in training, as in real
# news, so a tagger must rely on context, casing and characters rather than memorised names.
SYLLABLES = ["ka", "lo", "mer", "vin", "tas", "dor", "el", "ri", "bran", "sto", "vek", "ul", "ma", "zen", "gor",
             "ith", "an", "bel", "cor", "du", "fen", "hal", "ju", "mo", "nar", "os", "pra", "sel", "tu", "wy"]
SURNAME_ENDS = ["", "son", "ova", "ski", "ez", "er", "ard", "sen"]
PLACE_ENDS = ["", "ville", "burg", "stad", "ia", "mouth"]
PLACE_HEADS = ["Port", "Lake", "North", "San", "Mount"]
ORG_ENDS = ["Holdings", "Bank", "Motors", "Group", "Press", "Airlines", "Foods", "United", "Steel", "Partners"]
DAY = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTH = ["January", "March", "April", "June", "August", "October", "November", "December"]

# {P} person, {L} location, {O} organisation, {NAT} nationality and {EV} event (both MISC),
# {D} day, {N} number, {N}-{N} a score, {MO} month. Entities keep their own capitalisation inside lower-case text.
TEMPLATES = [
    "{P} , the chief executive of {O} , said on {D} that the company would open an office in {L} .",
    "{O} shares rose {N} percent in {L} on {D} .",
    "{O} shares fell {N} percent after {P} resigned .",
    "{P} scored twice as {O} beat {O} {N}-{N} in {L} .",
    "The {NAT} delegation arrived in {L} on {D} .",
    "{P} won the {EV} for the second time .",
    "Police in {L} said {N} people were hurt in the fire .",
    "{P} told reporters in {L} that talks with {O} had failed .",
    "{O} said it would cut {N} jobs in {L} and {L} .",
    "The {NAT} team will face {L} in the final on {D} .",
    "{P} and {P} met in {L} to discuss the {EV} .",
    "Prices in {L} rose {N} percent in {MO} , {O} said .",
    "{P} , who joined {O} in {MO} , will lead the new unit .",
    "Rain stopped play in {L} after {N} overs .",
    "Officials from {O} and {O} signed the deal in {L} .",
    "{NAT} voters go to the polls on {D} .",
    "{P} ( {L} ) finished third in {N} minutes .",
    "{O} reported a net profit of {N} million dollars in {MO} .",
    "{L} beat {L} {N}-{N} in the {EV} on {D} .",
    "{P} will visit {L} and {L} next week , {O} said .",
    "The {EV} opened in {L} on {D} with {N} teams .",
    "A spokesman for {O} declined to comment .",
    "Shares in {O} were unchanged at {N} on {D} .",
    "{P} , a {NAT} citizen , was born in {L} .",
    "The talks will continue next week .",
    "Trading was quiet ahead of the holiday .",
    "The market closed {N} percent higher on {D} .",
    "Analysts expect the rate to stay at {N} percent until {MO} .",
    "{P} said the {NAT} market had grown by {N} percent .",
    "{O} named {P} as its new chairman on {D} .",
]
HEADLINES = [
    "SOCCER - {O} BEAT {O} IN {L} .",
    "TENNIS - {P} WINS IN {L} .",
    "{L} ( {D} ) - {O} PROFIT RISES",
    "MARKETS - {NAT} SHARES CLOSE LOWER",
    "{P} QUITS {O}",
]


def _invented(rng: random.Random, ends: list[str]) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(ends)
    return word.capitalize()


def _name(key: str, rng: random.Random) -> str:
    """A name for slot ``key``: from the written lists, or (about half the time) invented."""
    invent = rng.random() < 0.5
    if key == "P":
        first = _invented(rng, [""]) if invent and rng.random() < 0.5 else rng.choice(FIRST)
        last = _invented(rng, SURNAME_ENDS) if invent else rng.choice(LAST)
        return f"{first} {last}" if rng.random() < 0.8 else last
    if key == "L" and invent:
        place = _invented(rng, PLACE_ENDS)
        return f"{rng.choice(PLACE_HEADS)} {place}" if rng.random() < 0.3 else place
    if key == "O" and invent:
        return f"{_invented(rng, SURNAME_ENDS)} {rng.choice(ORG_ENDS)}"
    return rng.choice({"L": LOC, "O": ORG, "NAT": NATIONALITY, "EV": EVENT}[key])


def _fill(template: str, rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for piece in template.split():
        slot = re.fullmatch(r"\{(\w+)\}(-\{N\})?", piece)
        if not slot:
            out.append((piece, "O"))
            continue
        key = slot.group(1)
        if key == "N":
            score = f"{rng.randint(0, 5)}-{rng.randint(0, 5)}"
            out.append((score if slot.group(2) else str(rng.randint(2, 95)), "O"))
            continue
        if key in ("D", "MO"):
            out.append((rng.choice(DAY if key == "D" else MONTH), "O"))
            continue
        kind = {"P": "PER", "L": "LOC", "O": "ORG", "NAT": "MISC", "EV": "MISC"}[key]
        words = _name(key, rng).split()
        start = 1 if words[0] == "the" else 0  # "the Ministry of Trade": the article is outside the entity
        out.extend((w, "O") for w in words[:start])
        out.extend((w, ("B-" if i == start else "I-") + kind) for i, w in enumerate(words) if i >= start)
    if out[0][0] == "the":
        out[0] = ("The", out[0][1])
    return out


def generate_sentences(n: int = DEFAULT_SENTENCES, seed: int = DEFAULT_SEED) -> list[list[tuple[str, str]]]:
    rng = random.Random(seed)
    sentences, seen = [], set()
    while len(sentences) < n:
        headline = rng.random() < 0.12
        sent = _fill(rng.choice(HEADLINES if headline else TEMPLATES), rng)
        if headline:
            sent = [(tok.upper(), tag) for tok, tag in sent]
        key = " ".join(tok for tok, _ in sent)
        if key not in seen:
            seen.add(key)
            sentences.append(sent)
    return sentences


def to_conll(sentences: list[list[tuple[str, str]]]) -> str:
    parts = []
    for i, sent in enumerate(sentences):
        if i % DOC_SIZE == 0:
            parts.append("-DOCSTART- O\n\n")
        parts.extend(f"{tok} {tag}\n" for tok, tag in sent)
        parts.append("\n")
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--sentences", type=int, default=DEFAULT_SENTENCES)
    args = parser.parse_args()
    sentences = generate_sentences(args.sentences, args.seed)
    args.out.write_text(to_conll(sentences), encoding="utf-8")
    tags = [tag for s in sentences for _, tag in s]
    counts = {k: sum(t == f"B-{k}" for t in tags) for k in ("PER", "LOC", "ORG", "MISC")}
    documents = (len(sentences) + DOC_SIZE - 1) // DOC_SIZE
    print(f"wrote {args.out}: {len(sentences)} sentences in {documents} documents, {len(tags)} tokens, "
          f"entities {counts}")


if __name__ == "__main__":
    main()
