"""The anonymiser's public types: what it finds, what it is given, how it is set up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

LABELS = ("PERSON", "LOCATION", "ORG", "DATE", "PHONE", "EMAIL", "ID")
SOURCES = ("ner", "pattern", "list", "rule", "case_robust", "known_name")


class AnonymiserError(Exception):
    """The anonymiser could not be set up; the message says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Detection:
    """One identifier found in a text."""

    start: int
    end: int
    label: str
    source: str
    confidence: float
    text: str


@dataclass(frozen=True)
class Lists:
    """A site's own lists, added to the bundled defaults."""

    prisons: tuple[str, ...] = ()
    courts: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnonymiserSettings:
    """Which spaCy pipeline to use: "" for the bundled en_core_web_sm, else a name or path."""

    spacy_model: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AnonymiserSettings:
        """Read STORYBANK_SPACY_MODEL."""
        env = os.environ if environ is None else environ
        return cls(spacy_model=env.get("STORYBANK_SPACY_MODEL", "").strip())
