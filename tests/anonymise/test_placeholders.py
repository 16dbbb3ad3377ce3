"""Placeholders: typed, numbered consistently within a story; and applying replacements."""

from __future__ import annotations

import pytest

from storybank.anonymise.engine import Detection
from storybank.anonymise.engine import apply_replacements
from storybank.anonymise.engine import assign_placeholders


def detections(text: str, marks: list[tuple[str, str]]) -> list[Detection]:
    """Build detections for each (label, surface), taking occurrences left to right."""
    result = []
    position = 0
    for label, surface in marks:
        start = text.index(surface, position)
        result.append(Detection(start, start + len(surface), label, "pattern", 0.9, surface))
        position = start + len(surface)
    return result


def test_the_same_person_gets_the_same_number() -> None:
    text = "Parminder Gill came. Later parminder said Gill's car was fine, and Kenny agreed."
    marks = [
        ("PERSON", "Parminder Gill"),
        ("PERSON", "parminder"),
        ("PERSON", "Gill"),
        ("PERSON", "Kenny"),
    ]
    assert assign_placeholders(text, detections(text, marks)) == [
        "[PERSON 1]",
        "[PERSON 1]",
        "[PERSON 1]",
        "[PERSON 2]",
    ]


def test_places_organisations_and_dates_are_numbered_separately() -> None:
    text = "Redcar, then Hull, then redcar. HMP Hull and Greggs. 2nd of May, 3/11/22, 2nd of May."
    marks = [
        ("LOCATION", "Redcar"),
        ("LOCATION", "Hull"),
        ("LOCATION", "redcar"),
        ("ORG", "HMP Hull"),
        ("ORG", "Greggs"),
        ("DATE", "2nd of May"),
        ("DATE", "3/11/22"),
        ("DATE", "2nd of May"),
    ]
    assert assign_placeholders(text, detections(text, marks)) == [
        "[PLACE 1]",
        "[PLACE 2]",
        "[PLACE 1]",
        "[ORG 1]",
        "[ORG 2]",
        "[DATE 1]",
        "[DATE 2]",
        "[DATE 1]",
    ]


def test_phones_emails_and_ids_are_not_numbered() -> None:
    text = "07700 900123 or 07700 900456, a@b.com, X123456"
    marks = [
        ("PHONE", "07700 900123"),
        ("PHONE", "07700 900456"),
        ("EMAIL", "a@b.com"),
        ("ID", "X123456"),
    ]
    assert assign_placeholders(text, detections(text, marks)) == [
        "[PHONE]",
        "[PHONE]",
        "[EMAIL]",
        "[ID]",
    ]


def test_apply_replacements_takes_spans_in_any_order() -> None:
    text = "Dave rang Sue."
    assert apply_replacements(text, [(10, 13, "[PERSON 2]"), (0, 4, "[PERSON 1]")]) == (
        "[PERSON 1] rang [PERSON 2]."
    )
    assert apply_replacements(text, []) == text


def test_apply_replacements_refuses_overlapping_spans() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        apply_replacements("Dave rang Sue.", [(0, 4, "x"), (2, 6, "y")])
