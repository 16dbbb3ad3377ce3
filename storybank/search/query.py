"""What a researcher asks for: words, filters, sort and page, parsed and checked.

Words follow a small syntax that both backends understand the same way: every word must
occur, "a quoted phrase" must occur as written, and `word*` matches any word it begins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from storybank.core.errors import InvalidInput

SORTS = ("relevance", "newest", "oldest")
MAX_TERMS = 12
MAX_QUERY_CHARS = 300
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class LengthBand:
    """A length facet: people read these stories at tables, so short ones matter."""

    key: str
    label: str
    min_words: int
    max_words: int | None


LENGTH_BANDS = (
    LengthBand("short", "Under 300 words", 0, 299),
    LengthBand("medium", "300 to 799 words", 300, 799),
    LengthBand("long", "800 words or more", 800, None),
)


def length_band(word_count: int) -> str:
    """Return the key of the band a story of this length falls in."""
    for band in LENGTH_BANDS:
        if band.max_words is None or word_count <= band.max_words:
            return band.key
    raise AssertionError("the last band is open-ended")


@dataclass(frozen=True)
class Term:
    """One part of a query: a word, a prefix (`care*`) or a phrase (`"my own plan"`)."""

    kind: str  # word | prefix | phrase
    tokens: tuple[str, ...]


_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_PART = re.compile(r'"([^"]*)"?|(\S+)')


def parse_terms(text: str) -> tuple[Term, ...]:
    """Split the words box into terms; punctuation other than quotes and `*` is ignored."""
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"Use at most {MAX_QUERY_CHARS} characters of search words.", "q")
    terms: list[Term] = []
    for phrase, bare in _PART.findall(text):
        if phrase:
            tokens = tuple(t.lower() for t in _TOKEN.findall(phrase))
            if len(tokens) > 1:
                terms.append(Term("phrase", tokens))
            elif tokens:
                terms.append(Term("word", tokens))
            continue
        for index, token in enumerate(found := _TOKEN.findall(bare)):
            is_prefix = bare.endswith("*") and index == len(found) - 1 and len(token) >= 2
            terms.append(Term("prefix" if is_prefix else "word", (token.lower(),)))
    if len(terms) > MAX_TERMS:
        raise InvalidInput(f"Use at most {MAX_TERMS} words or phrases.", "q")
    return tuple(terms)


@dataclass(frozen=True)
class SearchQuery:
    """A search: words, then filters (any of the values within one, all of the themes)."""

    text: str = ""
    themes: tuple[str, ...] = ()
    site_ids: tuple[int, ...] = ()
    voices: tuple[str, ...] = ()
    story_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    lengths: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    terms: tuple[Term, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", parse_terms(self.text))
        if self.sort not in SORTS:
            raise InvalidInput("Sort by relevance, newest or oldest.", "sort")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise InvalidInput(f"Ask for 1 to {MAX_PER_PAGE} stories a page.", "per_page")
        if self.page < 1:
            raise InvalidInput("Pages start at 1.", "page")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("The start date is after the end date.", "date_from")
        unknown = set(self.lengths) - {band.key for band in LENGTH_BANDS}
        if unknown:
            raise InvalidInput("Length is short, medium or long.", "length")

    @property
    def effective_sort(self) -> str:
        """Relevance needs words; without them the newest come first."""
        return "newest" if self.sort == "relevance" and not self.terms else self.sort


# Every facet value of a story packed in one integer, so that the database groups matches on
# one column and facets are counted with array arithmetic. From the lowest bit:
#   themes (one bit per theme key, THEME_BITS), length band, source, story type, voice,
#   year - 2000, site id.
THEME_BITS = 20
_FIELDS = (("themes", THEME_BITS), ("length", 2), ("source", 1), ("story_type", 3),
           ("voice", 4), ("year", 8), ("site", 20))  # fmt: skip
SHIFTS: dict[str, tuple[int, int]] = {}
_shift = 0
for _name, _width in _FIELDS:
    SHIFTS[_name] = (_shift, (1 << _width) - 1)
    _shift += _width

BAND_CODES = {band.key: number for number, band in enumerate(LENGTH_BANDS)}
SOURCE_CODES = {"text": 0, "audio": 1}


def _code(value: str, known: tuple[str, ...], field_name: str) -> int:
    """The position of a value in its (append-only) list; the last code means "other"."""
    mask = SHIFTS[field_name][1]
    return known.index(value) if value in known and known.index(value) < mask else mask


@dataclass(frozen=True)
class FacetCodec:
    """Packs and unpacks facet codes; `voices`, `story_types` and `theme_keys` are append-only
    lists (enum order, and theme keys in the order the codebook first defined them)."""

    voices: tuple[str, ...]
    story_types: tuple[str, ...]
    theme_keys: tuple[str, ...]

    def encode(
        self, site_id: int, voice: str, story_type: str, source: str, year: int, band: str,
        themes: list[str],
    ) -> int:  # fmt: skip
        parts = {
            "themes": sum(1 << self.theme_keys.index(key) for key in themes
                          if key in self.theme_keys[:THEME_BITS]),
            "length": BAND_CODES[band],
            "source": SOURCE_CODES.get(source, 0),
            "story_type": _code(story_type, self.story_types, "story_type"),
            "voice": _code(voice, self.voices, "voice"),
            "year": min(max(year - 2000, 0), SHIFTS["year"][1]),
            "site": min(site_id, SHIFTS["site"][1]),
        }  # fmt: skip
        return sum(value << SHIFTS[name][0] for name, value in parts.items())
