"""Organisations: official prison and court lists, bodies by their last word, clubs, acronyms."""

from __future__ import annotations

from storybank.anonymise.engine import confidence as conf
from storybank.anonymise.engine.context import Candidate
from storybank.anonymise.engine.context import Context
from storybank.anonymise.engine.context import stop_words
from storybank.anonymise.engine.cues import RARE_ZIPF
from storybank.anonymise.engine.cues import cue
from storybank.anonymise.engine.cues import zipf
from storybank.anonymise.engine.places import name_start_before

_COURTS = (
    ("magistrates", "court"),
    ("magistrates'", "court"),
    ("magistrate's", "court"),
    ("crown", "court"),
    ("county", "court"),
    ("combined", "court"),
    ("youth", "court"),
    ("family", "court"),
    ("justice", "centre"),
)


def find_prisons(context: Context) -> list[Candidate]:
    """Find listed prisons; a name that is also a place or a word needs "HMP" or "prison"."""
    tokens, lexicon = context.tokens, context.lexicon
    found: list[Candidate] = []
    for i, size in lexicon.prisons.find(tokens, context.text):
        words = tokens[i : i + size]
        prefixed = context.prev(i) in cue("prison_prefixes")
        if context.prev(i) == "prison" and context.prev(i, 2) == "hm":
            prefixed = True
        suffixed = i + size < len(tokens) and tokens[i + size].lower in cue("prison_after")
        everyday = size == 1 and context.common(words[0].base)
        place = lexicon.places.match_at(tokens, i, context.text) == size
        nickname = words[0].lower == "the" or not (everyday or place)
        if not (prefixed or suffixed or nickname):
            continue
        start = tokens[i - 1].start if prefixed else words[0].start
        if prefixed and context.prev(i) == "prison":
            start = tokens[i - 2].start
        found.append(Candidate(start, words[-1].base_end, "ORG", "list", conf.PRISON_LISTED))
    for i, token in enumerate(tokens[:-1]):
        if token.lower in cue("prison_prefixes"):
            end = i + 1
            while (
                end < len(tokens) and end - i <= 3 and context.joined(tokens[end - 1], tokens[end])
            ):
                nxt = tokens[end]
                if nxt.lower in stop_words() or (not context.caseless and not nxt.capitalised):
                    break
                end += 1
                if context.caseless:
                    break
            if end > i + 1:
                found.append(
                    Candidate(
                        token.start, tokens[end - 1].base_end, "ORG", "list", conf.PRISON_PREFIXED
                    )
                )
    return found


def find_courts(context: Context) -> list[Candidate]:
    """Find listed courts and "<place> Magistrates' Court" by rule."""
    tokens = context.tokens
    found = [
        Candidate(tokens[i].start, tokens[i + size - 1].end, "ORG", "list", conf.COURT)
        for i, size in context.lexicon.courts.find(tokens, context.text)
    ]
    for i in range(1, len(tokens) - 1):
        if (tokens[i].lower, tokens[i + 1].lower) in _COURTS:
            first = name_start_before(context, i, named_by_anything=False)
            if first < i:
                found.append(
                    Candidate(tokens[first].start, tokens[i + 1].end, "ORG", "list", conf.COURT)
                )
    return found


def find_bodies(context: Context) -> list[Candidate]:
    """Find "<name> Trust", "<name> Training", "<name> Ltd", "<place> United" by their end."""
    tokens = context.tokens
    found: list[Candidate] = []
    for k, token in enumerate(tokens):
        word = token.base
        if k == 0:
            continue
        if word in cue("club_suffixes") and _place_ends_at(context, k - 1):
            found.append(Candidate(tokens[k - 1].start, token.end, "ORG", "rule", conf.CLUB))
            continue
        if word not in cue("org_suffixes"):
            continue
        first = name_start_before(context, k, named_by_anything=word in cue("company_suffixes"))
        if first == k:
            continue
        if context.lexicon.is_kept(" ".join(t.text for t in tokens[first : k + 1])):
            continue
        confidence = conf.ORGANISATION
        if context.caseless or not tokens[first].capitalised:
            confidence -= conf.CASELESS_RULE_PENALTY
        found.append(
            Candidate(tokens[first].start, token.base_end, "ORG", "rule", round(confidence, 2))
        )
    return found


def find_acronyms(context: Context) -> list[Candidate]:
    """Find upper-case abbreviations that name no known service ("worked for XYZ")."""
    if context.caseless:
        return []
    found: list[Candidate] = []
    for token in context.tokens:
        text = token.text[: token.base_end - token.start]
        if not (2 <= len(text) <= 6 and text.isalpha() and text.isupper()):
            continue
        if token.lower in cue("acronyms_kept") or context.lexicon.is_kept(text):
            continue
        if zipf(token.lower) >= RARE_ZIPF + 1 and context.common(token.lower):
            continue  # shouting an ordinary word ("I was SO angry")
        found.append(Candidate(token.start, token.base_end, "ORG", "case_robust", conf.ACRONYM))
    return found


def _place_ends_at(context: Context, j: int) -> bool:
    """Say whether a listed place ends at word j ("hartlepool" in "hartlepool united")."""
    for start in range(max(0, j - 2), j + 1):
        if context.lexicon.places.match_at(context.tokens, start, context.text) == j - start + 1:
            return True
    return False
