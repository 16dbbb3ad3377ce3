"""Context word sets (data/cues.txt) and how common a word is in everyday English."""

from __future__ import annotations

import functools
from importlib import resources

_DATA = "storybank.anonymise.data"
# A word at or above this Zipf frequency (wordfreq: log10 of uses per billion words, plus 9) is
# everyday English even when the dictionary lacks it ("gonna", "innit").
EVERYDAY_ZIPF = 3.3
# A dictionary word that is also a first name is everyday English at or above this ("will",
# "hope", "mark"); below it the name is the likelier reading ("kelly", "dawn").
NAME_AS_WORD_ZIPF = 4.6
# A listed surname outside the dictionary is a name below this ("gallagher"); above it, a word
# that happens to be a surname somewhere ("went", "rang", "um").
SURNAME_AS_WORD_ZIPF = 3.8
# A dictionary word used less than this is no everyday word (the dictionary lists "zeppo").
DICTIONARY_FLOOR_ZIPF = 2.0
# A word below this is rare enough that, in lower-case speech, it is more likely a name.
RARE_ZIPF = 3.0


@functools.cache
def cue_sets() -> dict[str, frozenset[str]]:
    """Return every section of data/cues.txt as a set of lower-case words."""
    text = resources.files(_DATA).joinpath("cues.txt").read_text(encoding="utf-8")
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
        elif current is not None:
            current.update(line.lower().split())
    return {name: frozenset(words) for name, words in sections.items()}


def cue(name: str) -> frozenset[str]:
    """Return one section of the cue words."""
    return cue_sets()[name]


@functools.cache
def _frequencies() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict("en", wordlist="best")


def zipf(word: str) -> float:
    """Return the word's Zipf frequency in English (0 for a word wordfreq has never seen)."""
    import math

    frequency = _frequencies().get(word.lower())
    return math.log10(frequency) + 9 if frequency else 0.0
