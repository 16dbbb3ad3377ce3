"""Word tokens with offsets, shared by the list, name and spoken-number layers."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*(?:['\u2019](?![^\W_]))?|[@#£$€%&]")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n\"“”(\[]|\.\.\.)\s*$")


@dataclass(frozen=True, slots=True)
class Token:
    """A word: its offsets, its text and its lower-case form."""

    start: int
    end: int
    text: str
    lower: str
    base_end: int  # end without a possessive 's
    sentence_start: bool

    @property
    def base(self) -> str:
        """Return the word without a possessive 's, lower-cased."""
        return self.lower[: self.base_end - self.start]

    @property
    def capitalised(self) -> bool:
        """Say whether the word starts with a capital letter."""
        return self.text[:1].isupper()


def tokenize(text: str) -> list[Token]:
    """Split text into words with offsets; mark the first word of each sentence."""
    tokens: list[Token] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        lower = word.lower()
        base_end = match.end()
        if len(lower) > 2 and lower[-2] in "'\u2019" and lower[-1] == "s":
            base_end -= 2
        elif lower[-1:] in ("'", "\u2019") and len(lower) > 1:
            base_end -= 1
        between = text[previous_end : match.start()]
        starts = not tokens or bool(
            _SENTENCE_END.search(text[max(0, previous_end - 3) : match.start()])
        )
        if tokens and not starts and "\n" in between:
            starts = True
        tokens.append(Token(match.start(), match.end(), word, lower, base_end, starts))
        previous_end = match.end()
    return tokens
