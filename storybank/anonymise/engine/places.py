"""Places: the gazetteer (towns, villages, districts) and streets and venues by their last word."""

from __future__ import annotations

import re

from storybank.anonymise.engine import confidence as conf
from storybank.anonymise.engine.context import Candidate
from storybank.anonymise.engine.context import Context
from storybank.anonymise.engine.context import stop_words
from storybank.anonymise.engine.context import strong_place_cue
from storybank.anonymise.engine.cues import cue


def find_listed_places(context: Context) -> list[Candidate]:
    """Find gazetteer places; one that is also an everyday word needs a cue or capitals."""
    tokens, lexicon = context.tokens, context.lexicon
    found: list[Candidate] = []
    for i, size in lexicon.places.find(tokens, context.text):
        words = tokens[i : i + size]
        if all(t.lower in stop_words() for t in words):
            continue
        confidence = conf.PLACE_LISTED
        if size == 1 and (context.common(words[0].base) or lexicon.is_name(words[0].base)):
            cued = strong_place_cue(context, i) or context.prev(i) in cue("place_cues")
            capitalised = not context.caseless and words[0].capitalised
            if context.common(words[0].base):
                if not (capitalised and not words[0].sentence_start) and not (
                    strong_place_cue(context, i) or (capitalised and cued)
                ):
                    continue
                confidence = conf.PLACE_EVERYDAY_WITH_CUE
            elif not (cued or capitalised or context.caseless):
                continue
        found.append(Candidate(words[0].start, words[-1].base_end, "LOCATION", "list", confidence))
    return found


def name_start_before(context: Context, k: int, named_by_anything: bool) -> int:
    """Return the first word of the name that ends before word k (k itself when none)."""
    tokens, lexicon = context.tokens, context.lexicon
    first = k
    while first > 0 and k - first < 3:
        before = tokens[first - 1]
        if not context.joined(before, tokens[first]) or before.base_end != before.end:
            break
        low = before.lower
        if low.isdigit() or not low[:1].isalpha():
            break
        if context.caseless or not before.capitalised:
            if low in stop_words() or low in cue("generic") or low in cue("determiners"):
                break
            known = lexicon.is_name(low) or lexicon.places.match_at(tokens, first - 1, context.text)
            if first < k and not known and context.common(low):
                break  # only a listed or rare word extends a lower-case name leftwards
            everyday_first = first == k and context.common(low) and not known
            after_determiner = context.prev(first - 1) in cue("determiners") | cue("subjects")
            if everyday_first and not named_by_anything and (after_determiner or first < 2):
                break  # "the station road", "a bus lane": an ordinary word names no street
        elif (low in stop_words() and low != "st") or (
            before.sentence_start and low in stop_words() | {"the"}
        ):
            break
        first -= 1
    return first


def find_streets_and_venues(context: Context) -> list[Candidate]:
    """Find "<name> Road", "14 <name> Lane", "the <name> Arms", "<name> Hospital"."""
    tokens = context.tokens
    found: list[Candidate] = []
    for k, token in enumerate(tokens):
        word = token.base
        street = word in cue("street_suffixes")
        venue = word in cue("venue_suffixes")
        if not (street or venue) or k == 0:
            continue
        named = word in cue("named_venues") and context.prev(k, 2) == "the"
        first = name_start_before(context, k, named)
        if first == k:
            continue
        phrase = " ".join(t.text for t in tokens[first : k + 1])
        if context.lexicon.is_kept(phrase):
            continue
        start = tokens[first].start
        number = tokens[first - 1] if first > 0 else None
        if street and number and re.fullmatch(r"\d{1,4}[a-z]?", number.lower):
            if context.joined(number, tokens[first]):
                start = number.start
        end = tokens[k - 1].base_end if word == "estate" else token.base_end
        confidence = conf.STREET if street else conf.VENUE
        if context.caseless or not tokens[first].capitalised:
            confidence -= conf.CASELESS_RULE_PENALTY
        found.append(Candidate(start, end, "LOCATION", "rule", round(confidence, 2)))
    return found
