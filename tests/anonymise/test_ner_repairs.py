"""Repairs to the small NER model's habits: names are people, and verbs stay outside them."""

from __future__ import annotations

from storybank.anonymise.engine import AnonymiserSettings
from storybank.anonymise.engine import load_anonymiser


def _found(text: str) -> list[tuple[str, str]]:
    return [(d.label, d.text) for d in load_anonymiser(AnonymiserSettings()).detect(text)]


def test_a_first_name_the_model_calls_a_place_is_a_person():
    assert ("PERSON", "Kenny") in _found("At the allotment a neighbour, Kenny, lent me his spade.")


def test_a_sentence_opening_verb_stays_outside_the_name():
    assert _found("Ring Dave on 07700 900123.") == [("PERSON", "Dave"), ("PHONE", "07700 900123")]
    assert ("PERSON", "Dave") in _found("Tell Dave I said hello.")


def test_listed_places_stay_places():
    assert _found("We moved to Ulverston last year.") == [("LOCATION", "Ulverston")]
