"""Keep a quote on its words when the text under it changes.

A quote is a span of one version of a story's original text. When a correction makes a new
version, the quoted words are looked for in it: found, the quote moves with them (the
occurrence nearest its old place, scaled by the text's length); not found, the quote is lost
and must be picked again. Nothing guesses at a near match: a quote is verbatim or absent.
"""

from __future__ import annotations

import hashlib


def passage_digest(passage: str) -> str:
    """Return a digest of the passage as shown, so a later change is noticed without keeping it."""
    return hashlib.sha256(passage.encode("utf-8")).hexdigest()


def reanchor(old_body: str, new_body: str, start: int, end: int) -> tuple[int, int] | None:
    """Return where the old span's exact words sit in the new body, or None if they are gone."""
    if not 0 <= start < end <= len(old_body):
        return None
    words = old_body[start:end]
    if old_body == new_body:
        return start, end
    expected = round(start * len(new_body) / max(1, len(old_body)))
    best: int | None = None
    position = new_body.find(words)
    while position != -1:
        if best is None or abs(position - expected) < abs(best - expected):
            best = position
        position = new_body.find(words, position + 1)
    return None if best is None else (best, best + len(words))


def locate_passage(text: str, passage: str, start: int | None, end: int | None) -> tuple[int, int]:
    """Find a picked passage in the text: at the offsets given if they match, else its one place.

    Raises ValueError when the passage is not in the text word for word, or is there more than
    once and the offsets do not say which.
    """
    if (
        start is not None
        and end is not None
        and 0 <= start < end <= len(text)
        and (text[start:end] == passage)
    ):
        return start, end
    trimmed = passage.strip()
    if not trimmed:
        raise ValueError("empty")
    first = text.find(trimmed)
    if first == -1:
        raise ValueError("absent")
    if text.find(trimmed, first + 1) != -1:
        raise ValueError("ambiguous")
    return first, first + len(trimmed)
