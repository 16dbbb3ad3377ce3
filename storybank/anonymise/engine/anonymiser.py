"""The orchestrator: run every layer on a text and merge what they find."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from storybank.anonymise.engine import names
from storybank.anonymise.engine import organisations
from storybank.anonymise.engine import patterns
from storybank.anonymise.engine import places
from storybank.anonymise.engine.base import AnonymiserSettings
from storybank.anonymise.engine.base import Detection
from storybank.anonymise.engine.base import Lists
from storybank.anonymise.engine.case import is_caseless
from storybank.anonymise.engine.context import Candidate
from storybank.anonymise.engine.context import Context
from storybank.anonymise.engine.lexicon import build_lexicon
from storybank.anonymise.engine.merge import merge
from storybank.anonymise.engine.model_ner import EntityLayer
from storybank.anonymise.engine.model_ner import dictionary_words
from storybank.anonymise.engine.model_ner import load_pipeline
from storybank.anonymise.engine.spoken import find_spoken_numbers
from storybank.anonymise.tokens import tokenize

_RULE_LAYERS = (
    organisations.find_prisons,
    organisations.find_courts,
    organisations.find_bodies,
    organisations.find_acronyms,
    places.find_listed_places,
    places.find_streets_and_venues,
    places.find_unknown_after_place_cue,
    places.find_prefixed_places,
    places.find_after_strong_place_cue,
    names.find_names,
)


class Anonymiser:
    """Find identifiers with patterns, the model, gazetteers, context and known names."""

    def __init__(
        self,
        nlp: Any,
        dictionary: frozenset[str] = frozenset(),
        verbs: frozenset[str] = frozenset(),
    ) -> None:
        self._entities = EntityLayer(nlp)
        self.dictionary = dictionary
        self.verbs = verbs

    def detect(
        self, text: str, known_names: Sequence[str] = (), lists: Lists | None = None
    ) -> list[Detection]:
        """Return the identifiers in text: merged, non-overlapping, sorted by start."""
        if not text.strip():
            return []
        lists = lists or Lists()
        lexicon = build_lexicon(lists.places, lists.prisons, lists.courts, lists.keep, lists.names)
        tokens = tokenize(text)
        context = Context(text, tokens, lexicon, is_caseless(tokens), self.dictionary, self.verbs)
        hits = [
            *patterns.find_emails(text),
            *patterns.find_phones(text),
            *patterns.find_references(text),
            *patterns.find_dates(text),
            *find_spoken_numbers(text, tokens),
        ]
        candidates = [
            Candidate(hit.start, hit.end, hit.label, "pattern", hit.confidence) for hit in hits
        ]
        candidates += self._entities.find(context)
        for layer in _RULE_LAYERS:
            candidates += layer(context)
        candidates += names.find_known_names(context, known_names)
        candidates += names.repeat_names(context, candidates)
        return merge(context, candidates)


_PIPELINES: dict[str, Any] = {}
_ANONYMISERS: dict[str, Anonymiser] = {}
_LOAD_LOCK = threading.Lock()


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
                nlp = _PIPELINES[key] = load_pipeline(key)
            anonymiser = _ANONYMISERS[key] = Anonymiser(
                nlp, dictionary_words(nlp), dictionary_words(nlp, "verb")
            )
    return anonymiser


def pipelines_loaded() -> int:
    """Return how many spaCy pipelines this process has loaded (for tests)."""
    return len(_PIPELINES)
