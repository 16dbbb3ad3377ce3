"""One text being anonymised, and the cue tests every layer shares ("my mate X", "X said")."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from dataclasses import field

from storybank.anonymise.engine.cues import DICTIONARY_FLOOR_ZIPF
from storybank.anonymise.engine.cues import EVERYDAY_ZIPF
from storybank.anonymise.engine.cues import NAME_AS_WORD_ZIPF
from storybank.anonymise.engine.cues import SURNAME_AS_WORD_ZIPF
from storybank.anonymise.engine.cues import cue
from storybank.anonymise.engine.cues import zipf
from storybank.anonymise.engine.lexicon import Lexicon
from storybank.anonymise.tokens import Token


@functools.cache
def stop_words() -> frozenset[str]:
    """Return spaCy's English stop words (imported only when a text is anonymised)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@dataclass(frozen=True)
class Candidate:
    """A span one layer proposes, with its label, layer and confidence."""

    start: int
    end: int
    label: str
    source: str
    confidence: float
    cued: bool = False  # context names it ("my mate ...", "... rang me"): no keep-list veto


@dataclass
class Context:
    """The text, its words, the lexicon and what the dictionary calls everyday English."""

    text: str
    tokens: list[Token]
    lexicon: Lexicon
    caseless: bool
    dictionary: frozenset[str]
    verbs: frozenset[str] = frozenset()
    _common: dict[str, bool] = field(default_factory=dict)

    def common(self, word: str) -> bool:
        """Say whether a lower-case word is everyday English (or an inflection of one)."""
        known = self._common.get(word)
        if known is None:
            known = self._common[word] = _is_common(word, self.dictionary)
        return known

    def prev(self, i: int, back: int = 1) -> str:
        """Return the lower-case word `back` places before word i ("" at the start)."""
        k = i - back
        return self.tokens[k].lower if k >= 0 else ""

    def joined(self, left: Token, right: Token) -> bool:
        """Say whether two words are separated only by spaces (or a hyphen)."""
        between = self.text[left.end : right.start]
        return not between.strip(" -") and "\n" not in between


_SUFFIXES = (
    ("ies", "y"),
    ("ied", "y"),
    ("ing", ""),
    ("ing", "e"),
    ("ed", ""),
    ("ed", "e"),
    ("es", ""),
    ("s", ""),
    ("ly", ""),
    ("er", ""),
    ("d", ""),
)


def _is_common(word: str, dictionary: frozenset[str]) -> bool:
    if word in stop_words():
        return True
    listed = _english_names_and_places()
    if word in dictionary:
        # The dictionary holds many names too ("pauline", "kelly", "zeppo"): an English first
        # name counts as everyday only when English uses it often ("will", "hope", "mark"), and
        # any word only when it is used at all.
        frequency = zipf(word)
        if frequency < DICTIONARY_FLOOR_ZIPF:
            return False
        return word not in listed or frequency >= NAME_AS_WORD_ZIPF
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + replacement
            if stem in dictionary:
                return True
            doubled = suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2]
            if doubled and stem[:-1] in dictionary:
                return True
    # Everyday words the dictionary lacks (irregular forms, slang) are frequent in wordfreq;
    # a listed name is not judged by frequency, since names are frequent too.
    frequency = zipf(word)
    if word in _surnames() and frequency < SURNAME_AS_WORD_ZIPF:
        return False  # "gallagher", "brennan": frequent because they are names
    return frequency >= EVERYDAY_ZIPF and word not in listed


@functools.cache
def _surnames() -> frozenset[str]:
    from storybank.anonymise.engine.lexicon import read_words

    return read_words("surnames.txt")


@functools.cache
def _english_names_and_places() -> frozenset[str]:
    """English first names and one-word places: frequent in text because they are names."""
    from storybank.anonymise.engine.lexicon import read_list
    from storybank.anonymise.engine.lexicon import read_words

    places = {line.lower() for line in read_list("places.txt") if " " not in line}
    return read_words("first_names_english.txt") | frozenset(places)


def name_cue_before(context: Context, i: int) -> bool:
    """Say whether the words before word i introduce a name ("called", "my mate", "me and")."""
    tokens = context.tokens
    if i == 0:
        return False
    previous = tokens[i - 1]
    if previous.lower in cue("nickname_prefixes") and i >= 2:
        return name_cue_before(context, i - 1)  # "my mate big ..."
    between = context.text[previous.end : tokens[i].start]
    if "\n" in between or re.search(r"[.!?;:()\"]", between):
        return False
    word = previous.lower
    if word in cue("strong_titles") or word.rstrip(".") in cue("strong_titles"):
        return True
    if word in cue("name_verbs") or word in cue("contact_verbs"):
        return True
    if previous.base in cue("role_cues") and previous.base_end == previous.end:
        return True
    before = context.prev(i, 2)
    if word == "one" and before in {"first", "new", "old", "last", "other", "second"}:
        return True
    if word in {"him", "her", "me", "them", "us", "it"} and before in cue("name_verbs") | {"call"}:
        return True
    if word in {"and", "with"} and before in {"me", "myself"}:
        return True
    if word in {"is", "was", "'s"} and before in {"name", "names"}:
        return True
    return word in {"now", "then"} and i >= 2 and tokens[i - 2].base in cue("role_cues")


def name_cue_after(context: Context, end_index: int, strong: bool = True) -> bool:
    """Say whether the words after a name confirm it ("said", "and me")."""
    tokens = context.tokens
    k = end_index + 1
    if k >= len(tokens):
        return False
    between = context.text[tokens[end_index].end : tokens[k].start]
    if re.search(r"[.!?;:\n]", between):
        return False
    word = tokens[k].lower
    if word == "and" and k + 1 < len(tokens) and tokens[k + 1].lower in {"me", "i"}:
        return True
    cues = cue("after_cues") - ({"came", "went", "was", "is", "goes"} if strong else set())
    return word in cues


def introduces_self(context: Context, i: int) -> bool:
    """Say whether word i follows "I'm" or "this is" and ends a phrase ("I'm Sal, his...")."""
    tokens = context.tokens
    before = tuple(t.lower for t in tokens[max(0, i - 2) : i])
    if not (before[-1:] in {("i'm",), ("im",)} or before in {("i", "am"), ("this", "is")}):
        return False
    after = context.text[tokens[i].end : tokens[i].end + 2]
    return i + 1 == len(tokens) or after[:1] in {",", ".", "\n", "!", "?"} or after == " a"


def strong_place_cue(context: Context, i: int) -> bool:
    """Say whether a phrase such as "lives in" or "moved to" ends right before word i."""
    for phrase in cue("strong_place_cues"):
        words = tuple(phrase.split("_"))
        n = len(words)
        if i >= n and tuple(t.lower for t in context.tokens[i - n : i]) == words:
            return True
    return False
