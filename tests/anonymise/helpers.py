"""Helpers for the anonymiser tests: what was found, and whether a phrase was covered."""

from __future__ import annotations

from pathlib import Path

from storybank.anonymise.engine import Anonymiser

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def found(anonymiser: Anonymiser, text: str, **kwargs: object) -> list[tuple[str, str]]:
    """Return (label, text) for each detection."""
    return [(d.label, d.text) for d in anonymiser.detect(text, **kwargs)]  # type: ignore[arg-type]


def covered(anonymiser: Anonymiser, text: str, surface: str, **kwargs: object) -> bool:
    """Say whether every word of the first occurrence of surface is inside some detection."""
    start = text.index(surface)
    end = start + len(surface)
    marks = [False] * len(text)
    for detection in anonymiser.detect(text, **kwargs):  # type: ignore[arg-type]
        for i in range(detection.start, detection.end):
            marks[i] = True
    return all(marks[i] for i in range(start, end) if text[i].isalnum())


def untouched(anonymiser: Anonymiser, text: str, surface: str, **kwargs: object) -> bool:
    """Say whether no detection touches the first occurrence of surface."""
    start = text.index(surface)
    end = start + len(surface)
    detections = anonymiser.detect(text, **kwargs)  # type: ignore[arg-type]
    return all(d.end <= start or d.start >= end for d in detections)
