"""People: listed first names and surnames weighed by context, unknown names, known names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz
from rapidfuzz import process

from storybank.anonymise.engine import confidence as conf
from storybank.anonymise.engine.context import Candidate
from storybank.anonymise.engine.context import Context
from storybank.anonymise.engine.context import introduces_self
from storybank.anonymise.engine.context import name_cue_after
from storybank.anonymise.engine.context import name_cue_before
from storybank.anonymise.engine.context import stop_words
from storybank.anonymise.engine.cues import RARE_ZIPF
from storybank.anonymise.engine.cues import cue
from storybank.anonymise.engine.cues import zipf
from storybank.anonymise.engine.patterns import NUMBER_WORDS
from storybank.anonymise.tokens import Token
from storybank.anonymise.tokens import tokenize

# O'Hare, D'Souza, Mc/Mac names: a surname by its shape.
_SURNAME_SHAPE = re.compile(r"^(?:o|d)['\u2019][a-z]{3,}$")


# Stop words that some name list holds but that are never names in English text.
_FUNCTION_WORDS = frozenset({"an", "else", "in", "many", "my", "see", "so", "me", "him", "her"})


def name_confidence(context: Context, i: int) -> float:
    """Return how sure the words and context make us that word i starts a name (0: not)."""
    token = context.tokens[i]
    base = token.base
    if not base[:1].isalpha() or base in cue("titles"):
        return 0.0
    if base in cue("months_weekdays"):
        return _month_as_name(context, i)
    lexicon = context.lexicon
    if base in lexicon.local_names:
        return conf.NAME_LISTED
    listed = lexicon.is_name(base)
    cased = not context.caseless and token.capitalised and not token.sentence_start
    cued = name_cue_before(context, i) or name_cue_after(context, i) or introduces_self(context, i)
    if base in stop_words() and (len(base) < 3 or base in _FUNCTION_WORDS):
        return 0.0  # "my", "in", "so", "see": never a name, whatever a list says
    if listed and context.common(base):
        if base in stop_words() and not (
            (cased and len(base) > 2 and base not in cue("subjects"))
            or _introduced(context, i)
            or (
                base in context.lexicon.english_first_names
                and name_cue_before(context, i)
                and not _verb_follows(context, i)
            )
        ):
            return 0.0  # "will", "may", "me": a name only when capitalised or introduced
        if base not in context.lexicon.english_first_names and not _introduced(context, i):
            return 0.0  # "people", "like": a name somewhere, but English reads it as a word
        if context.prev(i) in cue("subjects") and not cased:
            return 0.0  # "I hope", "they will": a verb after a subject
        if cued or _pronoun_follows(context, i):
            return conf.NAME_EVERYDAY_WITH_CUE + (conf.CONTEXT_BONUS if cased else 0.0)
        if cased:
            return conf.NAME_LISTED_CASED
        if context.caseless and base not in stop_words() and _bare_slot(context, i):
            return conf.NAME_EVERYDAY_BARE
        return 0.0
    if listed:
        if context.caseless or token.capitalised or cued:
            return min(conf.NAME_LISTED + (conf.CONTEXT_BONUS if cued else 0.0), 0.95)
        return conf.NAME_UNKNOWN_CAPITALISED
    if _SURNAME_SHAPE.match(base):
        return conf.NAME_SHAPE
    if not could_be_unknown_name(context, token):
        return 0.0
    if cued:
        return conf.NAME_UNKNOWN_WITH_CUE + (conf.CONTEXT_BONUS if cased else 0.0)
    if cased and not token.text.isupper():
        return conf.NAME_UNKNOWN_CAPITALISED
    if (context.caseless or not token.capitalised) and zipf(base) < RARE_ZIPF:
        return conf.NAME_RARE_CASELESS
    return 0.0


def _month_as_name(context: Context, i: int) -> float:
    """A month is a name only when someone acts or is addressed ("April rang", "called May")."""
    token = context.tokens[i]
    if token.base not in context.lexicon.english_first_names:
        return 0.0
    if _introduced(context, i) or name_cue_after(context, i):
        return conf.NAME_EVERYDAY_WITH_CUE
    if name_cue_before(context, i) and not _verb_follows(context, i):
        return conf.NAME_EVERYDAY_WITH_CUE
    return 0.0


def _bare_slot(context: Context, i: int) -> bool:
    """Say whether word i stands where a bare name can: no determiner, subject or verb before."""
    previous = context.prev(i)
    if previous in cue("determiners") | cue("subjects") | cue("modal_fillers"):
        return False
    if previous in context.verbs and previous not in cue("contact_verbs"):
        return False  # "to mark", "had hope": the word is a verb's object or a verb
    return not context.common(previous) or previous in stop_words() or previous in {"and"}


def _pronoun_follows(context: Context, i: int) -> bool:
    """Say whether "he's" or "she" follows word i, as after a name ("rose she's sixteen")."""
    k = i + 1
    if k >= len(context.tokens) or not context.joined(context.tokens[i], context.tokens[k]):
        return False
    return context.tokens[k].lower in {"he's", "she's", "hes", "shes"}


def _verb_follows(context: Context, i: int) -> bool:
    """Say whether a verb follows word i, as after a modal ("my mate will be there")."""
    k = i + 1
    if k < len(context.tokens) and context.tokens[k].lower in cue("modal_fillers"):
        return True
    if k >= len(context.tokens):
        return False
    word = context.tokens[k].lower
    return word in context.verbs or word.endswith("n't")


def _introduced(context: Context, i: int) -> bool:
    """Say whether a title or "called" stands right before word i ("Mr Will", "called May")."""
    previous = context.prev(i).rstrip(".")
    return previous in cue("strong_titles") or previous in cue("name_verbs")


def could_be_unknown_name(context: Context, token: Token) -> bool:
    """Say whether a word in no list could still be a name: not English, not a number."""
    base = token.base
    return (
        base.isalpha()
        and len(base) >= 2
        and base not in stop_words()
        and base not in cue("titles")
        and base not in NUMBER_WORDS
        and not context.lexicon.is_kept(base)
        and not context.common(base)
    )


def _extend(context: Context, i: int, first_listed: bool) -> int:
    """Return the last word of a name starting at word i (a surname or two may follow)."""
    tokens, lexicon = context.tokens, context.lexicon
    end = i
    while end + 1 < len(tokens) and end - i < 2:
        nxt = tokens[end + 1]
        if not context.joined(tokens[end], nxt) or tokens[end].base_end != tokens[end].end:
            break
        nb = nxt.base
        if context.text[tokens[end].end : nxt.start] == "-" and nb.isalpha():
            end += 1  # a double-barrelled name ("Haworth-Booth")
            continue
        if nb in stop_words() or nb in cue("months_weekdays") or not nb[:1].isalpha():
            break
        if nb in cue("street_suffixes") | cue("venue_suffixes") | cue("org_suffixes"):
            break
        if context.caseless or not nxt.capitalised:
            listed = lexicon.is_name(nb) and not context.common(nb)
            unknown = end == i and first_listed and could_be_unknown_name(context, nxt)
            if not (listed or unknown):
                break
        end += 1
    return end


def find_names(context: Context) -> list[Candidate]:
    """Find people by the name lists, word frequency and context, whatever the case."""
    tokens = context.tokens
    suffixes = cue("street_suffixes") | cue("venue_suffixes") | cue("org_suffixes")
    found: list[Candidate] = []
    taken = -1
    for i, token in enumerate(tokens):
        if i <= taken:
            continue
        confidence = name_confidence(context, i)
        if not confidence:
            continue
        first_listed = context.lexicon.is_name(token.base) and confidence >= conf.UNSURE_BELOW
        end = _extend(context, i, first_listed)
        start = token.start
        if first_listed and i > taken + 1 and i > 0:
            before = tokens[i - 1]
            if context.joined(before, token) and could_be_unknown_name(context, before):
                start = before.start  # "siobhan gallagher": an unlisted first name
        if end + 1 < len(tokens) and tokens[end + 1].base in suffixes:
            continue  # a street, venue or body: the place and organisation layers take it
        nicknamed = i > 0 and tokens[i - 1].lower in cue("nickname_prefixes")
        if nicknamed and context.joined(tokens[i - 1], token) and start == token.start:
            start = tokens[i - 1].start  # "big mick", "little dave": one nickname
        label = "PERSON"
        if confidence < conf.UNSURE_BELOW and context.prev(i) in cue("place_cues"):
            label = "LOCATION"
        cued = name_cue_before(context, i) or name_cue_after(context, end)
        found.append(Candidate(start, tokens[end].base_end, label, "case_robust", confidence, cued))
        taken = end
    return found + _listed_people(context, found)


def _listed_people(context: Context, found: list[Candidate]) -> list[Candidate]:
    """Find a listed name in a list of people ("Sam, then Jo, then Will")."""
    starts = {c.start for c in found if c.label == "PERSON"}
    ends = {context.text[: c.end].rstrip() for c in found if c.label == "PERSON"}
    more: list[Candidate] = []
    tokens = context.tokens
    for i in range(2, len(tokens)):
        token = tokens[i]
        if token.start in starts or not context.lexicon.is_name(token.base):
            continue
        if token.base in stop_words() or context.prev(i) not in {"and", "then", "or", "&"}:
            continue
        before = context.text[: tokens[i - 1].start].rstrip(" ,")
        if before in ends:
            more.append(
                Candidate(token.start, token.base_end, "PERSON", "case_robust", conf.NAME_IN_LIST)
            )
            ends.add(context.text[: token.base_end])
    return more


def repeat_names(context: Context, candidates: list[Candidate]) -> list[Candidate]:
    """Find further mentions of a word already found as a name ("...follows robin round")."""
    names: set[str] = set()
    for candidate in candidates:
        if candidate.label != "PERSON" or candidate.confidence < 0.5:
            continue
        for token in tokenize(context.text[candidate.start : candidate.end]):
            base = token.base
            if len(base) >= 2 and base.isalpha() and base not in cue("titles") | stop_words():
                names.add(base)
    found: list[Candidate] = []
    for i, token in enumerate(context.tokens):
        if token.base not in names:
            continue
        if context.prev(i) in cue("determiners") | cue("subjects"):
            continue
        nxt = context.tokens[i + 1].base if i + 1 < len(context.tokens) else ""
        if nxt in cue("street_suffixes") | cue("venue_suffixes"):
            continue
        if context.common(token.base) and not context.caseless and not token.capitalised:
            continue
        found.append(
            Candidate(token.start, token.base_end, "PERSON", "case_robust", conf.NAME_REPEATED)
        )
    return found


def find_known_names(context: Context, known_names: Sequence[str]) -> list[Candidate]:
    """Find the story's known names, whole or in part, forgiving small misspellings."""
    parts = {
        token.base
        for name in known_names
        for token in tokenize(name or "")
        if len(token.base) >= 2 and token.base not in cue("titles") and token.base.isalpha()
    }
    if not parts:
        return []
    choices = sorted(parts)
    found: list[Candidate] = []
    for i, token in enumerate(context.tokens):
        base = token.base
        if not base.isalpha() or len(base) < 2:
            continue
        confidence = 0.0
        if base in parts:
            confidence = conf.KNOWN_NAME
        elif len(base) >= 4:
            cutoff = 80 if len(base) >= 5 else 86
            best = process.extractOne(base, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
            if best is not None and base[0] == best[0][0]:
                confidence = conf.KNOWN_NAME_FUZZY
        if confidence and _plausible_mention(context, i, parts):
            found.append(Candidate(token.start, token.base_end, "PERSON", "known_name", confidence))
    return found


def _plausible_mention(context: Context, i: int, parts: set[str]) -> bool:
    """An everyday word matches a known name only with capitals, a cue or a neighbour part."""
    token = context.tokens[i]
    if not context.common(token.base):
        return True
    if token.capitalised and not token.sentence_start and not context.caseless:
        return True
    if name_cue_before(context, i) or name_cue_after(context, i):
        return True
    tokens = context.tokens
    neighbours = [tokens[k].base for k in (i - 1, i + 1) if 0 <= k < len(tokens)]
    return any(n in parts and n != token.base for n in neighbours)
