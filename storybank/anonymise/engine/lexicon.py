"""The bundled lists (names, places, prisons, courts, words to keep) and a phrase matcher.

Names and places are derived from packages by scripts/build_resources.py; prisons and courts
follow the official lists; a site adds its own through the admin Lists page.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from storybank.anonymise.tokens import Token
from storybank.anonymise.tokens import tokenize

_DATA = "storybank.anonymise.data"


def read_list(name: str) -> list[str]:
    """Read a bundled list: one entry per line, blank lines and # comments skipped."""
    text = resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@functools.cache
def read_words(name: str) -> frozenset[str]:
    """Read a bundled list of words, several to a line, lower-cased."""
    return frozenset(word.lower() for line in read_list(name) for word in line.split())


def phrase_key(phrase: str) -> tuple[str, ...]:
    """Return the lower-case word tuple a phrase is matched by."""
    return tuple(token.lower for token in tokenize(phrase))


class PhraseMatcher:
    """Find the longest listed phrase at each word, ignoring case."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._by_first: dict[str, set[tuple[str, ...]]] = {}
        self.longest = 1
        for phrase in phrases:
            for variant in {phrase, phrase.replace("-", " "), phrase.replace("'", "")}:
                key = phrase_key(variant)
                if key:
                    self._by_first.setdefault(key[0], set()).add(key)
                    self.longest = max(self.longest, len(key))

    def __contains__(self, phrase: str) -> bool:
        key = phrase_key(phrase)
        return bool(key) and key in self._by_first.get(key[0], ())

    def match_at(self, tokens: list[Token], i: int, text: str) -> int:
        """Return how many words of the longest phrase starting at word i match (0: none)."""
        options = self._by_first.get(tokens[i].lower) or self._by_first.get(tokens[i].base)
        if not options:
            return 0
        for size in range(min(self.longest, len(tokens) - i), 0, -1):
            words = tokens[i : i + size]
            if any(text[a.end : b.start].strip(" -") for a, b in itertools.pairwise(words)):
                continue
            key = (*tuple(t.lower for t in words[:-1]), words[-1].lower)
            base_key = (*key[:-1], words[-1].base)
            if key in options or base_key in options:
                return size
        return 0

    def find(self, tokens: list[Token], text: str) -> Iterator[tuple[int, int]]:
        """Yield (first word, word count) for each non-overlapping listed phrase."""
        i = 0
        while i < len(tokens):
            size = self.match_at(tokens, i, text)
            if size:
                yield i, size
                i += size
            else:
                i += 1


@dataclass(frozen=True)
class Lexicon:
    """Everything the list and name layers look words up in."""

    first_names: frozenset[str]
    english_first_names: frozenset[str]
    surnames: frozenset[str]
    places: PhraseMatcher
    prisons: PhraseMatcher
    courts: PhraseMatcher
    keep: PhraseMatcher
    keep_keys: frozenset[tuple[str, ...]]
    local_names: frozenset[str] = frozenset()  # a site's own: trusted without a cue
    local_places: frozenset[tuple[str, ...]] = frozenset()

    def is_name(self, word: str) -> bool:
        """Say whether a lower-case word is a listed first name or surname."""
        return word in self.first_names or word in self.surnames

    def is_kept(self, phrase: str) -> bool:
        """Say whether a phrase is a role, service or other word never to redact."""
        key = phrase_key(phrase)
        if key[:1] == ("the",):
            key = key[1:]
        return key in self.keep_keys


@functools.cache
def _bundled(name: str) -> tuple[str, ...]:
    return tuple(read_list(name))


@functools.lru_cache(maxsize=32)
def build_lexicon(
    places: tuple[str, ...] = (),
    prisons: tuple[str, ...] = (),
    courts: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
    names: tuple[str, ...] = (),
) -> Lexicon:
    """Build the lexicon from the bundled lists plus a site's own entries."""
    keep_all = [*_bundled("keep.txt"), *keep]
    keep_keys = set()
    for phrase in keep_all:
        key = phrase_key(phrase)
        if key[:1] == ("the",):
            key = key[1:]
        if key:
            keep_keys.add(key)
    local_names = frozenset(word.lower() for name in names for word in name.split())
    return Lexicon(
        first_names=read_words("first_names.txt") | local_names,
        english_first_names=read_words("first_names_english.txt"),
        surnames=read_words("surnames.txt"),
        places=PhraseMatcher([*_bundled("places.txt"), *places]),
        prisons=PhraseMatcher([*_bundled("prisons.txt"), *prisons]),
        courts=PhraseMatcher([*_bundled("courts.txt"), *courts]),
        keep=PhraseMatcher(keep_all),
        keep_keys=frozenset(keep_keys),
        local_names=local_names,
        local_places=frozenset(phrase_key(place) for place in places),
    )
