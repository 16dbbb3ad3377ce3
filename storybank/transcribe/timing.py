"""Word timings of a transcript: build them from Whisper's output and carry them through edits.

A transcript is stored as plain text, one line per segment, plus a list of timed words, each
`[char_start, char_end, start_seconds, end_seconds, probability, estimated]` pointing into the
text. `estimated` is 1 where a person's correction replaced or added the word, so its time was
spread over the words it replaced rather than heard by the model.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from storybank.transcribe.engine import Transcript

# Whisper's own probability for a word; below this a page flags it as hard to hear, since a
# misheard local name is in no list and only a listening person can catch it.
UNSURE_WORD_BELOW = 0.5

_TOKEN = re.compile(r"\S+")
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class TimedWord:
    """One word of the text and where it is in the audio."""

    char_start: int
    char_end: int
    start: float
    end: float
    probability: float
    estimated: bool = False

    def as_row(self) -> list[float | int]:
        return [
            self.char_start,
            self.char_end,
            round(self.start, 3),
            round(self.end, 3),
            round(self.probability, 3),
            int(self.estimated),
        ]


def words_from_timings(timings: dict[str, Any] | None) -> list[TimedWord]:
    """Read the stored rows back as TimedWords."""
    rows = (timings or {}).get("words", [])
    return [
        TimedWord(int(r[0]), int(r[1]), float(r[2]), float(r[3]), float(r[4]), bool(r[5]))
        for r in rows
    ]


def timings_from_words(words: list[TimedWord]) -> dict[str, Any]:
    """Return the JSON-ready form stored with a text version."""
    return {"words": [word.as_row() for word in words]}


def transcript_to_text(transcript: Transcript) -> tuple[str, dict[str, Any]]:
    """Lay a transcript out as text (a line per segment) with each word's span and time."""
    lines: list[str] = []
    words: list[TimedWord] = []
    offset = 0
    for segment in transcript.segments:
        line = ""
        if not segment.words:
            line = segment.text.strip()
        for word in segment.words:
            token = word.word.strip()
            if not token:
                continue
            if line:
                line += " "
            start = offset + len(line)
            line += token
            words.append(
                TimedWord(start, start + len(token), word.start, word.end, word.probability)
            )
        if not line:
            continue
        lines.append(line)
        offset += len(line) + 1  # the newline
    return "\n".join(lines), timings_from_words(words)


def _normalise(token: str) -> str:
    token = unicodedata.normalize("NFKC", token).casefold()
    return _EDGE_PUNCTUATION.sub("", token) or token


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), _normalise(m.group())) for m in _TOKEN.finditer(text)]


def carry_timings(
    old_text: str, old_timings: dict[str, Any] | None, new_text: str
) -> dict[str, Any]:
    """Give the corrected text timings: unchanged words keep theirs exactly.

    Words that a correction replaced share out the time of the words they replaced; words it
    added sit in the gap between their neighbours. Both are marked estimated.
    """
    timed = {(w.char_start, w.char_end): w for w in words_from_timings(old_timings)}
    old_tokens = _tokens(old_text)
    new_tokens = _tokens(new_text)
    old_times = [timed.get((start, end)) for start, end, _ in old_tokens]
    matcher = SequenceMatcher(
        a=[t[2] for t in old_tokens], b=[t[2] for t in new_tokens], autojunk=False
    )
    result: list[TimedWord] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for old_index, new_index in zip(range(a0, a1), range(b0, b1), strict=True):
                old = old_times[old_index]
                if old is not None:
                    start, end, _ = new_tokens[new_index]
                    result.append(
                        TimedWord(start, end, old.start, old.end, old.probability, old.estimated)
                    )
            continue
        if tag == "delete":
            continue
        span = [t for t in old_times[a0:a1] if t is not None]
        if span:
            window = (span[0].start, span[-1].end)
        else:
            before = next((t for t in reversed(old_times[:a0]) if t is not None), None)
            after = next((t for t in old_times[a1:] if t is not None), None)
            if before is None and after is None:
                continue
            window = (
                before.end if before else after.start,  # type: ignore[union-attr]
                after.start if after else before.end,  # type: ignore[union-attr]
            )
        count = b1 - b0
        step = max(window[1] - window[0], 0.0) / count
        for position, new_index in enumerate(range(b0, b1)):
            start_char, end_char, _ = new_tokens[new_index]
            begin = window[0] + position * step
            result.append(TimedWord(start_char, end_char, begin, begin + step, 0.0, True))
    return timings_from_words(result)


@dataclass(frozen=True)
class TimedLine:
    """A line of the transcript (a segment), its time span and its words."""

    text: str
    start: float | None
    end: float | None
    words: list[tuple[str, TimedWord | None]]


def timed_lines(text: str, timings: dict[str, Any] | None) -> list[TimedLine]:
    """Split a transcript into lines of words, each word with its timing if it has one."""
    timed = {(w.char_start, w.char_end): w for w in words_from_timings(timings)}
    lines: list[TimedLine] = []
    offset = 0
    for raw_line in text.split("\n"):
        words = [
            (m.group(), timed.get((offset + m.start(), offset + m.end())))
            for m in _TOKEN.finditer(raw_line)
        ]
        times = [w for _, w in words if w is not None]
        lines.append(
            TimedLine(
                raw_line,
                times[0].start if times else None,
                times[-1].end if times else None,
                words,
            )
        )
        offset += len(raw_line) + 1
    return lines
