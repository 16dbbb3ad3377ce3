"""Split a story's text into chunks that each fit one printed story card."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# A card is half an A4 page (A5 landscape, 210 x 148.5 mm; see print.css). Its text box,
# after the header and the footer, holds about 17 lines of 11.5 pt Liberation Serif of about
# 95-100 characters each: some 15 words of everyday English, fewer when the words are long.
# A card is budgeted at 15 lines of 90 characters, so long words, a wrapped header and lines
# that break early still fit without the text spilling over the cut line. A line also holds
# at most LINE_WORDS words, which only text of very short words reaches; CARD_WORDS, the
# most words a card can hold, is what callers pass around.
LINE_CHARS = 90
LINE_WORDS = 17
CARD_LINES = 15
CARD_WORDS = LINE_WORDS * CARD_LINES

_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")
# Sentence-ending punctuation, then any closing quotes or brackets, at the end of a string.
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u201d\u2019)\\]]*\\Z")

Span = tuple[int, int]


@dataclass(frozen=True)
class _Budget:
    """What one card holds: words, and lines of LINE_CHARS characters."""

    words: int
    lines: int

    @classmethod
    def of(cls, max_words: int) -> _Budget:
        return cls(words=max(1, max_words), lines=max(1, max_words // LINE_WORDS))

    def fits(self, text: str) -> bool:
        return len(text.split()) <= self.words and count_card_lines(text) <= self.lines


def count_card_lines(text: str) -> int:
    """Return the lines of LINE_CHARS characters a text takes on a card.

    Each of the text's own lines is rounded up to whole lines, because a line break leaves
    the rest of its line blank: a transcript with a line per segment takes more room than
    its length says.
    """
    return sum(max(1, math.ceil(len(line) / LINE_CHARS)) for line in text.strip().split("\n"))


def split_card_text(
    text: str, max_words: int = CARD_WORDS, first_max_words: int | None = None
) -> list[str]:
    """Split text into card-sized chunks, at sentence ends where possible, else between words.

    Chunks are slices of the text with the whitespace at each cut removed, so joining them
    back loses nothing but that whitespace. A chunk holds at most `max_words` words and
    `max_words // LINE_WORDS` lines (see `count_card_lines`). `first_max_words` is the first
    card's budget when that card also carries something else, such as a summary.
    """
    if not text.strip():
        return [""]
    most = _Budget.of(max_words)
    first = most if first_max_words is None else _Budget.of(min(first_max_words, max_words))
    units = _units(text, first)
    chunks = _pack(text, units, first, most)
    # Fill the cards evenly: the smallest budget that needs no more cards, so that a story
    # does not end on a card holding one sentence.
    for lines in range(1, most.lines):
        even = _Budget(words=most.words * lines // most.lines, lines=lines)
        first_even = _Budget(min(first.words, even.words), min(first.lines, lines))
        evened = _pack(text, units, first_even, even)
        if len(evened) == len(chunks):
            return evened
    return chunks


def _pack(text: str, units: list[Span], first: _Budget, most: _Budget) -> list[str]:
    """Return the chunks that fill each card in turn with as many units as fit on it."""
    chunks: list[str] = []
    start, end = units[0]
    for unit_start, unit_end in units[1:]:
        if not (most if chunks else first).fits(text[start:unit_end]):
            chunks.append(text[start:end])
            start = unit_start
        end = unit_end
    chunks.append(text[start:end])
    return chunks


def _units(text: str, budget: _Budget) -> list[Span]:
    """Return the spans a chunk may be cut between: sentences, or words of a long sentence."""
    units: list[Span] = []
    for start, end in _sentence_spans(text):
        if budget.fits(text[start:end]):
            units.append((start, end))
        else:
            units.extend(word.span() for word in _WORD.finditer(text, start, end))
    return units


def _sentence_spans(text: str) -> list[Span]:
    """Return the spans of the text's sentences and lines, without surrounding whitespace."""
    spans: list[Span] = []
    start = 0
    for gap in _WHITESPACE.finditer(text):
        if gap.start() == start:  # whitespace at the very start
            start = gap.end()
            continue
        before = text[max(start, gap.start() - 8) : gap.start()]
        if "\n" in gap.group() or gap.end() == len(text) or _SENTENCE_END.search(before):
            spans.append((start, gap.start()))
            start = gap.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans
