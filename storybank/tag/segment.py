"""Cut a story into short passages: sentences of written text, word windows of a transcript.

Every passage keeps its character offsets into the input (end exclusive), so evidence can point
back at the text. A transcript has little punctuation, so a long stretch without a sentence end
is cut into windows of about 15 to 30 words.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

# A sentence ends at . ! ? (and closing quotes or brackets) before a space, or at a line break.
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"'\u201d\u2019)\]]*|$)|[.!?]+", re.MULTILINE)
# Speaker turns in an interview: "speaker 1:", "Interviewer:", "Q:" at the start of a line.
_SPEAKER = re.compile(
    r"(?:\bspeaker\s*\d+\s*:|^[ \t]*(?:interviewer|respondent|reporter|q|a)\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
_WORD = re.compile(r"\S+")
LONGEST = 30  # a passage of more words than this is cut into windows
WINDOW = 22  # the size the windows aim at


@dataclass(frozen=True)
class Passage:
    """A stretch of the input text: text == source[start:end]."""

    start: int
    end: int
    text: str


def _turns(text: str) -> list[tuple[int, int]]:
    """Return the stretches between speaker labels (the labels themselves left out)."""
    cuts = [(m.start(), m.end()) for m in _SPEAKER.finditer(text)]
    stretches, position = [], 0
    for start, end in cuts:
        stretches.append((position, start))
        position = end
    stretches.append((position, len(text)))
    return [(s, e) for s, e in stretches if text[s:e].strip()]


def _trimmed(text: str, start: int, end: int) -> Passage | None:
    """Return the passage without surrounding spaces (None if nothing is left)."""
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    if right <= left or not any(c.isalnum() for c in piece):
        return None
    return Passage(start + left, start + right, piece[left:right])


def _windows(text: str, passage: Passage) -> list[Passage]:
    """Cut a long passage into windows of nearly equal word counts."""
    words = [
        (passage.start + m.start(), passage.start + m.end()) for m in _WORD.finditer(passage.text)
    ]
    if len(words) <= LONGEST:
        return [passage]
    count = max(1, round(len(words) / WINDOW))
    bounds = [round(i * len(words) / count) for i in range(count + 1)]
    windows = []
    for first, last in itertools.pairwise(bounds):
        start, end = words[first][0], words[last - 1][1]
        windows.append(Passage(start, end, text[start:end]))
    return windows


def split_passages(text: str) -> list[Passage]:
    """Split a story into sentences, or windows of words where sentences run long."""
    passages: list[Passage] = []
    for turn_start, turn_end in _turns(text):
        for match in _SENTENCE.finditer(text, turn_start, turn_end):
            passage = _trimmed(text, match.start(), match.end())
            if passage is not None:
                passages.extend(_windows(text, passage))
    return passages


__all__ = ["Passage", "split_passages"]
