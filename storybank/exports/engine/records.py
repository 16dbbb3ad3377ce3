"""What the writers are given: one story at a time, as plain, already-anonymised data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime


@dataclass(frozen=True)
class Theme:
    """A code of the codebook."""

    key: str
    name: str
    definition: str = ""


@dataclass(frozen=True)
class Codebook:
    """The codebook version the export was made with."""

    version: int | None
    themes: tuple[Theme, ...]

    def name_of(self, key: str) -> str:
        for theme in self.themes:
            if theme.key == key:
                return theme.name
        return key


@dataclass(frozen=True)
class Excerpt:
    """A passage that carries a confirmed theme: offsets into the anonymised text, end exclusive."""

    theme: str
    start: int
    end: int


@dataclass(frozen=True)
class ExportStory:
    """One story as an export carries it. `text` is the signed-off anonymised text."""

    story_id: int
    site: str
    voice: str
    story_type: str
    source: str
    approved_on: date
    word_count: int
    themes: tuple[str, ...]  # confirmed theme keys
    text: str
    excerpts: tuple[Excerpt, ...] = ()

    def excerpt_text(self, excerpt: Excerpt) -> str:
        """The excerpt's words, cut from the anonymised text."""
        return self.text[excerpt.start : excerpt.end]


@dataclass(frozen=True)
class ExportInfo:
    """About the export as a whole (the manifest's public part)."""

    manifest_id: int
    created_at: datetime
    kind: str
    filter: dict[str, object]
    story_count: int
