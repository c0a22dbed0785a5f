"""Entity tagging schemes (IOB1, IOB2/BIO, BIOES): reading entities from tags, writing tags from entities,
checking a sequence against a scheme's rules, and the transitions a constrained decoder may take.

Entities are ``(start, end, type)`` with ``end`` exclusive. ``entities`` follows conlleval's chunk rules
(the same as seqeval's default mode), so it reads every valid sequence of every scheme correctly and reads
invalid sequences (an unconstrained model's output) the way the official scorer does.
"""

from __future__ import annotations

SCHEMES = ("iob1", "iob2", "bioes")
PREFIXES = {"iob1": "BI", "iob2": "BI", "bioes": "BIES"}

Entity = tuple[int, int, str]


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` → ``("B", "PER")``; ``"O"`` → ``("O", "")``."""
    if tag == "O":
        return "O", ""
    prefix, sep, kind = tag.partition("-")
    return (prefix, kind) if sep else (tag, "")


def tag_problem(tag: str, scheme: str) -> str | None:
    """Why ``tag`` is not a tag of ``scheme`` (None when it is)."""
    prefix, kind = split_tag(tag)
    if prefix == "O":
        return None
    if not kind or prefix not in PREFIXES[scheme]:
        allowed = ", ".join(f"{p}-<type>" for p in PREFIXES[scheme])
        return f"tag {tag!r} is not O or one of {allowed} (scheme {scheme})"
    return None


def _ends(prev: str, prev_kind: str, cur: str, kind: str) -> bool:
    """conlleval ``endOfChunk``: does the chunk of the previous tag end before the current one?"""
    if prev in "ES":
        return True
    if prev in "BI" and cur in "BSO":
        return True
    return prev != "O" and prev_kind != kind


def _starts(prev: str, prev_kind: str, cur: str, kind: str) -> bool:
    """conlleval ``startOfChunk``: does a chunk start at the current tag?"""
    if cur in "BS":
        return True
    if cur in "IE" and prev in "ESO":
        return True
    return cur != "O" and prev_kind != kind


def entities(tags: list[str]) -> list[Entity]:
    """Entities of a tag sequence in any scheme, by conlleval's rules (lenient for invalid sequences)."""
    out: list[Entity] = []
    start, prev, prev_kind = None, "O", ""
    for i, tag in enumerate([*tags, "O"]):
        cur, kind = split_tag(tag)
        if start is not None and _ends(prev, prev_kind, cur, kind):
            out.append((start, i, prev_kind))
            start = None
        if _starts(prev, prev_kind, cur, kind):
            start = i
        prev, prev_kind = cur, kind
    return out


def tags_from_entities(spans: list[Entity], length: int, scheme: str) -> list[str]:
    """The canonical tags of ``scheme`` for non-overlapping entities over ``length`` tokens."""
    tags = ["O"] * length
    previous: Entity | None = None
    for start, end, kind in sorted(spans):
        if scheme == "bioes" and end - start == 1:
            tags[start] = f"S-{kind}"
        else:
            for i in range(start, end):
                tags[i] = f"I-{kind}"
            if scheme == "bioes":
                tags[end - 1] = f"E-{kind}"
            if scheme != "iob1" or (previous and previous[1] == start and previous[2] == kind):
                tags[start] = f"B-{kind}"
        previous = (start, end, kind)
    return tags


def convert(tags: list[str], source: str, target: str) -> list[str]:
    """Tags of one sentence from scheme ``source`` to scheme ``target`` (identity when they are equal)."""
    if source == target:
        return list(tags)
    return tags_from_entities(entities(tags), len(tags), target)


def allowed(prev: str, cur: str, scheme: str) -> bool:
    """May tag ``cur`` follow tag ``prev`` under the strict rules of ``scheme``? (``prev`` None: sentence start.)"""
    p, pk = split_tag(prev) if prev is not None else ("O", "")
    c, ck = split_tag(cur)
    if scheme == "iob2":
        return c != "I" or (p in "BI" and pk == ck)
    if scheme == "iob1":
        return c != "B" or (p in "BI" and pk == ck)
    inside = p in "BI"  # bioes: an open entity must continue (I) or close (E) with the same type
    if inside:
        return c in "IE" and pk == ck
    return c in "OBS"


def allowed_at_end(tag: str, scheme: str) -> bool:
    """May a sentence end on ``tag``? Only BIOES forbids it (an open B-/I- entity)."""
    return scheme != "bioes" or split_tag(tag)[0] not in "BI"


def first_violation(tags: list[str], scheme: str) -> tuple[int, str] | None:
    """(position, reason) of the first tag that breaks ``scheme``'s rules, or None for a valid sequence.

    IOB1 files are only checked for well-formed tags: any ``I-`` may start an entity, and a ``B-`` that
    does not follow an entity of its type (non-canonical, but found in CoNLL-2003's own ``eng.train``)
    still reads unambiguously as an entity start."""
    prev = None
    for i, tag in enumerate(tags):
        problem = tag_problem(tag, scheme)
        if problem:
            return i, problem
        if scheme != "iob1" and not allowed(prev, tag, scheme):
            after = f"after {prev!r}" if prev is not None else "at the start of a sentence"
            return i, f"tag {tag!r} cannot come {after} (scheme {scheme})"
        prev = tag
    if tags and not allowed_at_end(tags[-1], scheme):
        return len(tags) - 1, f"the sentence ends inside an entity ({tags[-1]!r}, scheme {scheme})"
    return None


def tag_set(types: list[str], scheme: str) -> list[str]:
    """``O`` then every prefix of ``scheme`` for each entity type, in a fixed order."""
    return ["O"] + [f"{p}-{t}" for t in sorted(types) for p in PREFIXES[scheme]]
