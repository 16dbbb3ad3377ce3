"""Join the layers' candidates: trim, drop kept words, merge overlaps, label by trust."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from storybank.anonymise.engine.base import Detection
from storybank.anonymise.engine.context import Candidate
from storybank.anonymise.engine.context import Context
from storybank.anonymise.engine.cues import cue

# When layers overlap, the merged span takes the label of the most trusted layer.
_SOURCE_RANK = {"pattern": 6, "known_name": 5, "rule": 4, "list": 3, "ner": 2, "case_robust": 1}
_PATTERN_RANK = {"EMAIL": 4, "PHONE": 3, "ID": 2, "DATE": 1}


_THE = re.compile(r"^the\s+", re.IGNORECASE)


@functools.cache
def _leading() -> re.Pattern[str]:
    titles = "|".join(sorted(cue("titles"), key=len, reverse=True))
    return re.compile(r"^(?:the\s+|(?:" + titles + r")\.?\s+)", re.IGNORECASE)


def _clean(text: str, candidate: Candidate) -> Candidate | None:
    """Trim a leading "the" or title, a possessive 's and stray punctuation from a span."""
    start, end = candidate.start, candidate.end
    pattern = candidate.source == "pattern"
    if not pattern:
        # A title leaves a person's span; "Lord Street" and "St John's" keep theirs.
        leading = _leading() if candidate.label == "PERSON" else _THE
        while (match := leading.match(text[start:end])) and match.end() < end - start:
            start += match.end()
        surface = text[start:end]
        saint = surface[:3].lower() == "st " or surface[:6].lower() == "saint "
        if surface.endswith(("'s", "\u2019s")) and candidate.label != "ORG" and not saint:
            end -= 2
        elif surface.endswith(("'", "\u2019")):
            end -= 1
    keep_start, keep_end = ("+(", ")") if pattern else ("", "")
    while start < end and not (text[start].isalnum() or text[start] in keep_start):
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in keep_end):
        end -= 1
    if end <= start:
        return None
    return Candidate(
        start, end, candidate.label, candidate.source, candidate.confidence, candidate.cued
    )


def _kept(context: Context, surface: str) -> bool:
    """A role, a service, or an abbreviation such as "NI" or "PNC" is never redacted."""
    if surface.isupper() and surface.lower() in cue("acronyms_kept"):
        return True
    return context.lexicon.is_kept(surface)


def _rank(candidate: Candidate) -> tuple[int, int, int, int]:
    """Patterns first; then the widest span, since a place inside a name is part of the name
    ("Arthur Haworth", "Liverpool College"); then the most trusted layer."""
    pattern = candidate.source == "pattern"
    pattern_rank = _PATTERN_RANK.get(candidate.label, 0) if pattern else 0
    width = candidate.end - candidate.start
    return (int(pattern), pattern_rank, width, _SOURCE_RANK[candidate.source])


def _agreement(group: list[Candidate]) -> float:
    """Two layers that agree make a span surer than either alone (noisy-or)."""
    miss = 1.0
    for source in {c.source for c in group}:
        miss *= 1.0 - max(c.confidence for c in group if c.source == source)
    return round(min(1.0 - miss, 0.99), 2)


def merge(context: Context, candidates: Iterable[Candidate]) -> list[Detection]:
    """Join overlapping spans (recall first) and label each with its most trusted layer."""
    text = context.text
    kept_spans = [
        (context.tokens[i].start, context.tokens[i + size - 1].end)
        for i, size in context.lexicon.keep.find(context.tokens, text)
    ]
    cleaned = []
    for candidate in candidates:
        item = _clean(text, candidate)
        if item is None:
            continue
        if item.source not in ("pattern", "known_name") and not item.cued:
            inside_kept = any(a <= item.start and item.end <= b for a, b in kept_spans)
            if inside_kept or _kept(context, text[item.start : item.end]):
                continue
        cleaned.append(item)
    cleaned.sort(key=lambda c: (c.start, -c.end))
    groups: list[list[Candidate]] = []
    group_end = -1
    for item in cleaned:
        if groups and item.start < group_end:
            groups[-1].append(item)
            group_end = max(group_end, item.end)
        else:
            groups.append([item])
            group_end = item.end
    merged = []
    for group in groups:
        best = max(group, key=_rank)
        start, end = min(c.start for c in group), max(c.end for c in group)
        merged.append(Candidate(start, end, best.label, best.source, _agreement(group)))
    return [
        Detection(c.start, c.end, c.label, c.source, c.confidence, text[c.start : c.end])
        for c in _join_full_names(text, merged)
    ]


def _join_full_names(text: str, merged: list[Candidate]) -> list[Candidate]:
    """Join a first name and surname found separately ("Amira" + "Haddad")."""
    joined: list[Candidate] = []
    for item in merged:
        adjacent = joined and text[joined[-1].end : item.start] == " "
        if adjacent and item.label == joined[-1].label == "PERSON":
            last = joined.pop()
            source = max((last, item), key=_rank).source
            score = max(last.confidence, item.confidence)
            item = Candidate(last.start, item.end, "PERSON", source, score)
        joined.append(item)
    return joined
