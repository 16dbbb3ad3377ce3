"""Word error rate between a reference and a transcript, after a small, documented normaliser.

The normaliser, applied to both sides before words are compared:

* Unicode NFKC, then lower case.
* Apostrophes inside words are dropped, so "world's" and "worlds" match and "they're" becomes
  "theyre".
* Punctuation between two digits is kept ("3.5", "1,000"), so numbers stay as written.
* Every other punctuation or symbol character becomes a space ("cold-hearted" is two words,
  "regard..." is "regard").
* Nothing else is rewritten: numbers are not spelt out or parsed ("1" and "one" differ), and
  abbreviations are not expanded ("mr" and "mister" differ). Such mismatches count as errors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

_APOSTROPHES = "'\u2019\u2018\u02bc`"
_INNER_APOSTROPHE = re.compile(rf"(?<=\w)[{_APOSTROPHES}](?=\w)")
_DIGIT_PUNCTUATION = re.compile(r"(?<=\d)[.,:](?=\d)")


def _is_punctuation(character: str) -> bool:
    return unicodedata.category(character)[0] in "PS"


def normalise_words(text: str) -> list[str]:
    """Return the words of `text` as the word error rate compares them (see the module notes)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _INNER_APOSTROPHE.sub("", text)
    kept = {match.start() for match in _DIGIT_PUNCTUATION.finditer(text)}
    characters = [
        " " if _is_punctuation(character) and index not in kept else character
        for index, character in enumerate(text)
    ]
    return "".join(characters).split()


@dataclass(frozen=True)
class WordErrors:
    """Edit distance in words between a reference and a hypothesis, and the reference length."""

    errors: int
    reference_words: int

    @property
    def rate(self) -> float:
        """Return errors per reference word (0.0 for two empty texts, 1.0 for an empty reference
        with any hypothesis)."""
        if self.reference_words == 0:
            return 0.0 if self.errors == 0 else 1.0
        return self.errors / self.reference_words

    def __add__(self, other: WordErrors) -> WordErrors:
        return WordErrors(self.errors + other.errors, self.reference_words + other.reference_words)


def count_word_errors(reference: str, hypothesis: str) -> WordErrors:
    """Count substitutions, deletions and insertions between the normalised word lists."""
    reference_words = normalise_words(reference)
    hypothesis_words = normalise_words(hypothesis)
    return WordErrors(Levenshtein.distance(reference_words, hypothesis_words), len(reference_words))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Return the word error rate of `hypothesis` against `reference` (0.0 is perfect)."""
    return count_word_errors(reference, hypothesis).rate


def total_word_errors(pairs: Iterable[tuple[str, str]]) -> WordErrors:
    """Sum the errors over (reference, hypothesis) pairs, for a corpus-level rate."""
    total = WordErrors(0, 0)
    for reference, hypothesis in pairs:
        total = total + count_word_errors(reference, hypothesis)
    return total
