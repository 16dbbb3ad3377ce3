"""Typed placeholders, numbered consistently within a story, and applying them to text."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from storybank.anonymise.engine.base import Detection
from storybank.anonymise.engine.cues import cue
from storybank.anonymise.tokens import tokenize

_PLACEHOLDER_TAG = {"PERSON": "PERSON", "LOCATION": "PLACE", "ORG": "ORG", "DATE": "DATE"}


def _mention_words(surface: str) -> tuple[str, ...]:
    return tuple(token.base for token in tokenize(surface) if token.base not in cue("titles"))


def assign_placeholders(text: str, detections: Sequence[Detection]) -> list[str]:
    """Return one placeholder per detection, numbered consistently within the text."""
    people: list[tuple[int, set[str], str]] = []
    others: dict[str, dict[str, int]] = {}
    replacements: list[str] = []
    for detection in detections:
        surface = text[detection.start : detection.end]
        label = detection.label
        if label in ("PHONE", "EMAIL", "ID"):
            replacements.append(f"[{label}]")
            continue
        tag = _PLACEHOLDER_TAG.get(label, label)
        if label == "PERSON":
            words = _mention_words(surface)
            joined = " ".join(words)
            number = 0
            for entity_number, entity_words, entity_joined in people:
                if (
                    joined == entity_joined
                    or (words and set(words) <= entity_words)
                    or (entity_words and entity_words <= set(words))
                    or fuzz.ratio(joined, entity_joined) >= 90
                ):
                    number = entity_number
                    entity_words.update(words)
                    break
            if not number:
                number = len(people) + 1
                people.append((number, set(words), joined))
            replacements.append(f"[{tag} {number}]")
            continue
        key = " ".join(_mention_words(surface))
        if key.startswith("the "):
            key = key[4:]
        numbers = others.setdefault(tag, {})
        if key not in numbers:
            numbers[key] = len(numbers) + 1
        replacements.append(f"[{tag} {numbers[key]}]")
    return replacements


def apply_replacements(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """Replace non-overlapping (start, end, replacement) spans, given in any order."""
    ordered = sorted(spans, key=lambda span: span[0])
    previous_end = 0
    pieces: list[str] = []
    for start, end, replacement in ordered:
        if start < previous_end or start > end or end > len(text) or start < 0:
            raise ValueError(f"Span {start}-{end} overlaps another or lies outside the text.")
        pieces.append(text[previous_end:start])
        pieces.append(replacement)
        previous_end = end
    pieces.append(text[previous_end:])
    return "".join(pieces)
