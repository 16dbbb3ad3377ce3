"""The NER, list, case-robust and known-name layers, and the roles and services kept."""

from __future__ import annotations

import itertools

import pytest

from storybank.anonymise.engine import Anonymiser
from storybank.anonymise.engine import Lists
from tests.anonymise.helpers import covered
from tests.anonymise.helpers import found
from tests.anonymise.helpers import untouched


def test_ner_finds_names_places_and_organisations_in_written_text(anonymiser: Anonymiser) -> None:
    text = "My new case manager, Stacey Ogunbiyi, used to work for Teesway Fabrications in Redcar."
    spans = found(anonymiser, text)
    assert ("PERSON", "Stacey Ogunbiyi") in spans
    assert covered(anonymiser, text, "Teesway Fabrications")
    assert ("LOCATION", "Redcar") in spans


def test_titles_possessives_and_a_leading_the_stay_outside(anonymiser: Anonymiser) -> None:
    spans = found(anonymiser, "Mrs Chowdhury met Wayne's wife at the Navigation Inn.")
    assert ("PERSON", "Chowdhury") in spans
    assert ("PERSON", "Wayne") in spans
    assert ("LOCATION", "Navigation Inn") in spans


def test_a_house_number_belongs_to_its_street(anonymiser: Anonymiser) -> None:
    assert ("LOCATION", "14 Cumberland Road") in found(
        anonymiser, "I live at 14 Cumberland Road now."
    )


@pytest.mark.parametrize(
    ("text", "prison"),
    [
        ("When he came home from HMP Holme House the kids were shy.", "HMP Holme House"),
        ("I did two years in Strangeways and came out a different man.", "Strangeways"),
        ("he was in the Scrubs for a bit", "Scrubs"),
        ("i did a year in hmp durham", "hmp durham"),
    ],
)
def test_prisons_and_their_nicknames_are_organisations(
    anonymiser: Anonymiser, text: str, prison: str
) -> None:
    assert ("ORG", prison) in found(anonymiser, text)


def test_courts_are_found_by_name_and_by_rule(anonymiser: Anonymiser) -> None:
    text = "I was sentenced at Teesside Crown Court and then at the Old Bailey."
    assert covered(anonymiser, text, "Teesside Crown Court")
    assert covered(anonymiser, text, "Old Bailey")
    assert untouched(
        anonymiser, "I went back to the magistrates court on my own.", "magistrates court"
    )


def test_admin_places_are_used(anonymiser: Anonymiser) -> None:
    text = "we used to hang about in pennyfield by the shops"
    assert untouched(anonymiser, text, "pennyfield")
    assert covered(anonymiser, text, "pennyfield", lists=Lists(places=("Pennyfield",)))


def test_admin_keep_words_are_never_redacted(anonymiser: Anonymiser) -> None:
    text = "I go to Foundry Group on a Monday with Dave."
    kept = anonymiser.detect(text, lists=Lists(keep=("Foundry Group",)))
    assert all("Foundry" not in d.text for d in kept)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("me and dave went down hessle road on friday", ["dave"]),
        ("my case manager joy asked me what would help", ["joy"]),
        ("my first one nicola she was nice enough", ["nicola"]),
        ("speaker 2: yonas just yonas is fine", ["yonas"]),
        ("my new officer marek he ask me what i want", ["marek"]),
        ("i'm brooke, his granddaughter", ["brooke"]),
        ("everyone calls him dusty and nobody knows why", ["dusty"]),
        (
            "my mate tariq rang me and gurpreet sandhu said it was fine",
            ["tariq", "gurpreet sandhu"],
        ),
    ],
)
def test_lower_case_names_are_found(anonymiser: Anonymiser, text: str, names: list[str]) -> None:
    for name in names:
        assert covered(anonymiser, text, name), name


def test_lower_case_streets_and_venues_are_found(anonymiser: Anonymiser) -> None:
    text = "the shop on parliament road near the dorman museum in grangetown"
    for place in ("parliament road", "dorman museum", "grangetown"):
        assert covered(anonymiser, text, place), place


def test_a_word_that_is_a_name_counts_only_when_it_names_someone(anonymiser: Anonymiser) -> None:
    text = "me and robin go on a tuesday and there's a robin that follows robin round the beds"
    detections = anonymiser.detect(text)
    hits = [text[d.start : d.end] for d in detections]
    assert hits.count("robin") == 2
    bird = text.index("a robin") + 2
    assert all(not (d.start <= bird < d.end) for d in detections)


@pytest.mark.parametrize(
    "text",
    [
        "I will be a personal trainer one day, I will.",
        "i hope it goes well and i will keep going",
        "we sat on the main road and had a brew by the bus station",
        "it was a frank conversation and a grand day",
    ],
)
def test_ordinary_words_that_are_names_are_left_alone(anonymiser: Anonymiser, text: str) -> None:
    assert found(anonymiser, text) == []


@pytest.mark.parametrize(
    "phrase",
    [
        "my case manager",
        "probation",
        "the hostel",
        "Universal Credit",
        "the job centre",
        "the council",
        "the GP",
        "the NHS",
        "AA",
        "Christmas",
        "God",
        "the enabling fund",
        "Community Payback",
    ],
)
def test_roles_and_services_are_kept(anonymiser: Anonymiser, phrase: str) -> None:
    text = f"Honestly, {phrase} helped me more than I thought, every Saturday."
    assert untouched(anonymiser, text, phrase)


def test_known_names_are_found_whole_in_part_and_misspelt(anonymiser: Anonymiser) -> None:
    text = "so gurprit came round and sandu said the kids were fine"
    known = ["Gurpreet Sandhu"]
    assert covered(anonymiser, text, "gurprit", known_names=known)
    assert covered(anonymiser, text, "sandu", known_names=known)
    sources = {d.source for d in anonymiser.detect(text, known_names=known)}
    assert "known_name" in sources


def test_known_names_that_are_everyday_words_need_a_cue(anonymiser: Anonymiser) -> None:
    known = ["Will Carter"]
    text = "i will be there and will said so"
    detections = anonymiser.detect(text, known_names=known)
    assert [text[d.start : d.end] for d in detections] == ["will"]
    assert detections[0].start == text.index("will said")


def test_every_detection_is_well_formed(anonymiser: Anonymiser) -> None:
    text = "Dave rang 07700 900123 from Hessle Road, Hull, on the 2nd of May about CRN X123456."
    detections = anonymiser.detect(text)
    assert detections == sorted(detections, key=lambda d: d.start)
    for left, right in itertools.pairwise(detections):
        assert left.end <= right.start
    for detection in detections:
        assert text[detection.start : detection.end] == detection.text
        assert 0 <= detection.confidence <= 1
        assert detection.source in {"ner", "pattern", "list", "case_robust", "known_name"}
