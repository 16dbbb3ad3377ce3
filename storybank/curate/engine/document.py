"""A pack as plain data: what every output (digest, PDF, document) shows, and nothing else.

Services build a `PackDocument` from the database (anonymised text only, consent checked);
the renderers turn it into pages. Story titles and pseudonyms are typed by people and never
anonymised, so a pack names a story only by its number ("Story 3"), voice and type.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True)
class ThemeBar:
    """One theme's count across the pack's stories, as people may see it."""

    key: str
    name: str
    value: int | None  # None: suppressed
    label: str  # "12", or "fewer than 5"


@dataclass(frozen=True)
class Quote:
    """A verbatim passage of one story's anonymised text, placeholders and all."""

    text: str
    story_ref: str  # "Story 3"


@dataclass(frozen=True)
class ThemeSection:
    """A theme of the pack: what it means, the facilitator's prompts, and its quotes."""

    key: str
    name: str
    definition: str
    prompts: str
    quotes: list[Quote] = field(default_factory=list)


@dataclass(frozen=True)
class StoryCard:
    """One story, whole, for a table: its anonymised text and, if written, a summary."""

    ref: str  # "Story 3"
    voice: str  # "Person on probation"
    story_type: str  # "Personal story"
    source: str  # "Told aloud" | "Written"
    themes: list[str]
    text: str
    summary: str = ""  # written by a person; always labelled as a summary
    audio_url: str | None = None  # the beeped recording, only where consent allows it


@dataclass(frozen=True)
class PackDocument:
    """Everything an output of one pack shows."""

    title: str
    held_on: str  # "Tuesday 12 January 2027"
    place: str
    audience: str
    facilitator: str
    facilitator_notes: str
    small_count_threshold: int
    theme_bars: list[ThemeBar]
    sections: list[ThemeSection]
    cards: list[StoryCard]
    consent_statement: str
    generated_at: str  # "1 December 2026, 14:05"
    reference: str  # "Pack 7, revision 3"


CONSENT_STATEMENT = (
    "Every story in this pack is shared with the storyteller's consent to its use at "
    "Conversation of Change events, as that consent stood when the pack was made. Names, "
    "places and other details that could identify anyone have been replaced with labels such "
    "as [PERSON 1], and a person checked every story before it was approved. Please do not "
    "copy, photograph or take these pages away, and do not try to work out who anyone is. "
    "If a storyteller withdraws their consent, their story leaves every pack: destroy printed "
    "copies when the facilitator asks."
)
