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
        local = tuple(t.lower for t in words) in lexicon.local_places
        if local:
            pass  # a site's own place is trusted whatever its words
        elif size == 1 and (context.common(words[0].base) or lexicon.is_name(words[0].base)):
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
        start = words[0].start
        modified = i > 0 and tokens[i - 1].lower in cue("place_modifiers")
        if modified and context.joined(tokens[i - 1], words[0]):
            start = tokens[i - 1].start
        found.append(Candidate(start, words[-1].base_end, "LOCATION", "list", confidence))
    return found


def is_name_word(context: Context, j: int) -> bool:
    """Say whether word j could be part of a name: listed, a gazetteer place, or no English."""
    token = context.tokens[j]
    low = token.base
    if not low[:1].isalpha() or low in stop_words() or low in cue("generic"):
        return False
    if context.lexicon.places.match_at(context.tokens, j, context.text):
        return True
    return not context.common(low)


def _cased_word(context: Context, j: int) -> bool:
    """In written text, a capitalised word (not a sentence's opening "The") extends a name."""
    token = context.tokens[j]
    if context.caseless or not token.capitalised:
        return False
    low = token.lower
    if token.sentence_start and low in stop_words() | {"the"}:
        return False
    return low not in stop_words() or low == "st"


def name_start_before(
    context: Context, k: int, named_by_anything: bool, street: bool = False
) -> int:
    """Return the first word of the name that ends before word k (k itself when none).

    Capitalised words extend it; so do listed or un-English words in lower case, with "and" or
    "of" between two of them ("wigan and leigh college"). An everyday word alone names a street
    ("station road") unless a determiner precedes it ("the main road"), and names a venue or body
    only for words such as "Arms" or "Ltd", or when a name stands further left ("widnes golf club").
    """
    tokens = context.tokens
    first = k
    while first > 0 and k - first < 5:
        j = first - 1
        before = tokens[j]
        if not context.joined(before, tokens[first]):
            break
        possessive = before.base_end != before.end
        saint = context.prev(j).rstrip(".") in {"st", "saint"}
        named = saint or _cased_word(context, j) or is_name_word(context, j)
        if possessive and (first < k or not named):
            break  # "St Oswald's Hall" is a name; "my mum's house" is not
        if possessive:
            first = j
            continue
        low = before.lower
        if low.isdigit() or not low[:1].isalpha() or "'" in low[:-2]:
            break  # a number, or a contraction ("don't trust")
        if low in {"and", "of", "&"} and first < k and j > 0:
            if context.joined(tokens[j - 1], before) and (
                _cased_word(context, j - 1) or is_name_word(context, j - 1)
            ):
                first = j - 1
                continue
            break
        if _cased_word(context, j) or is_name_word(context, j):
            first = j
            continue
        if not context.caseless and before.capitalised:
            break
        if low in stop_words() or low in cue("generic") or low in cue("determiners"):
            break
        if first == k:
            after_determiner = context.prev(j) in cue("determiners") | cue("subjects")
            if named_by_anything or (street and not after_determiner):
                first = j
                continue
            further = next((m for m in (j - 1, j - 2) if m >= 0 and is_name_word(context, m)), None)
            if further is not None and all(
                context.joined(tokens[m], tokens[m + 1])
                and tokens[m].lower not in stop_words() | cue("generic")
                for m in range(further, j)
            ):
                first = further
                continue
        break
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
        first = name_start_before(context, k, named, street=street)
        if first == k:
            continue
        phrase = " ".join(t.text for t in tokens[first : k + 1])
        if context.lexicon.is_kept(phrase):
            continue
        start = tokens[first].start
        number = tokens[first - 1] if first > 0 else None
        numbered = number and re.fullmatch(r"\d{1,4}[a-z]?", number.lower)
        if street and numbered and context.joined(number, tokens[first]):
            start = number.start
        end = tokens[k - 1].base_end if word == "estate" else token.base_end
        confidence = conf.STREET if street else conf.VENUE
        if context.caseless or not tokens[first].capitalised:
            confidence -= conf.CASELESS_RULE_PENALTY
        found.append(Candidate(start, end, "LOCATION", "rule", round(confidence, 2)))
    return found


def find_unknown_after_place_cue(context: Context) -> list[Candidate]:
    """In lower-case speech, a word in no list and not English after "in", "at" or "from"."""
    if not context.caseless:
        return []
    found: list[Candidate] = []
    for i, token in enumerate(context.tokens):
        base = token.base
        if i == 0 or context.prev(i) not in cue("place_cues") or not base.isalpha():
            continue
        if len(base) < 3 or context.common(base) or context.lexicon.is_kept(base):
            continue
        if context.lexicon.is_name(base) or base in cue("months_weekdays"):
            continue  # the name layer weighs it
        found.append(
            Candidate(
                token.start, token.base_end, "LOCATION", "case_robust", conf.PLACE_UNKNOWN_AFTER_CUE
            )
        )
    return found


def find_prefixed_places(context: Context) -> list[Candidate]:
    """Find "River Weaver", "Mount Pleasant", "St Helen's": a prefix, then a name word."""
    tokens = context.tokens
    found: list[Candidate] = []
    for i, token in enumerate(tokens[:-1]):
        if token.lower.rstrip(".") not in cue("place_prefixes"):
            continue
        nxt = tokens[i + 1]
        if not context.joined(token, nxt) or not nxt.base[:1].isalpha():
            continue
        saint = token.lower.rstrip(".") in {"st", "saint"}
        named = context.lexicon.is_name(nxt.base) if saint else is_name_word(context, i + 1)
        if not named and not (not context.caseless and nxt.capitalised):
            continue
        if not context.caseless and not token.capitalised and not nxt.capitalised:
            continue  # "the lake shore" in written text: lower case names nothing
        found.append(Candidate(token.start, nxt.end, "LOCATION", "rule", conf.PLACE_AFTER_PREFIX))
    return found


def find_after_strong_place_cue(context: Context) -> list[Candidate]:
    """In speech, the words after "grew up in", "moved to", "lives in" are likely a place."""
    if not context.caseless:
        return []
    tokens = context.tokens
    found: list[Candidate] = []
    for i, token in enumerate(tokens):
        if not strong_place_cue(context, i) or not _place_word(context, i):
            continue
        end = i
        following = i + 1 < len(tokens) and context.joined(token, tokens[i + 1])
        if following and _place_word(context, i + 1):
            end += 1
        found.append(
            Candidate(
                token.start,
                tokens[end].base_end,
                "LOCATION",
                "case_robust",
                conf.PLACE_AFTER_STRONG_CUE,
            )
        )
    return found


def _place_word(context: Context, i: int) -> bool:
    low = context.tokens[i].base
    return (
        low[:1].isalpha()
        and low not in stop_words()
        and low not in cue("generic")
        and low not in cue("determiners")
        and low not in cue("months_weekdays")
        and not context.lexicon.is_kept(low)
    )
