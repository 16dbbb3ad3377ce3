"""Names, places and organisations: general resources weighed by context, in any case.

Every sentence here is written for these tests; none comes from the sample or dev stories.
"""

from __future__ import annotations

import itertools

import pytest

from storybank.anonymise.engine import SOURCES
from storybank.anonymise.engine import UNSURE_BELOW
from storybank.anonymise.engine import Anonymiser
from storybank.anonymise.engine import Lists
from tests.anonymise.helpers import covered
from tests.anonymise.helpers import found
from tests.anonymise.helpers import untouched


def test_ner_finds_names_places_and_organisations_in_written_text(anonymiser: Anonymiser) -> None:
    text = "My new officer, Adaeze Okonkwo, used to work for Brightpath Training in Morecambe."
    spans = found(anonymiser, text)
    assert ("PERSON", "Adaeze Okonkwo") in spans
    assert ("ORG", "Brightpath Training") in spans
    assert ("LOCATION", "Morecambe") in spans


def test_titles_possessives_and_a_leading_the_stay_outside(anonymiser: Anonymiser) -> None:
    spans = found(anonymiser, "Mr Kowalczyk met Bartosz's sister at the Fleece Inn.")
    assert ("PERSON", "Kowalczyk") in spans
    assert ("PERSON", "Bartosz") in spans
    assert ("LOCATION", "Fleece Inn") in spans


def test_a_house_number_belongs_to_its_street(anonymiser: Anonymiser) -> None:
    assert ("LOCATION", "27 Ashdown Crescent") in found(
        anonymiser, "They moved me to 27 Ashdown Crescent in the spring."
    )


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("me and bartosz went up to keswick on the train", ["bartosz", "keswick"]),
        ("so i rang priyanka and she sorted it", ["priyanka"]),
        ("the lad who runs it oluwaseun never judged me", ["oluwaseun"]),
        ("siobhan kowalczyk was the one who listened", ["siobhan kowalczyk"]),
    ],
)
def test_lower_case_names_and_places_come_from_the_packaged_lists(
    anonymiser: Anonymiser, text: str, names: list[str]
) -> None:
    for name in names:
        assert covered(anonymiser, text, name), name


def test_context_beats_the_keep_list(anonymiser: Anonymiser) -> None:
    assert ("PERSON", "Christian") in found(anonymiser, "My mate Christian rang me last night.")
    assert untouched(anonymiser, "She found her Christian faith again inside.", "Christian")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("my mate hope said she would come", "hope"),
        ("our kid grace texted me after", "grace"),
        ("my probation officer may she was brilliant", "may"),
        ("there was frank, then sunny, then jo", "sunny"),
        ("Then April rang me to check I was all right.", "April"),
    ],
)
def test_a_word_that_is_also_a_name_counts_when_context_names_someone(
    anonymiser: Anonymiser, text: str, name: str
) -> None:
    assert covered(anonymiser, text, name)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("i hope it goes well for him", "hope"),
        ("my mate will be there on friday", "will"),
        ("we had to mark every visit on the calendar", "mark"),
        ("In April we moved into the flat.", "April"),
        ("you may not believe it but i cried", "may"),
    ],
)
def test_a_word_that_is_also_a_name_is_left_alone_as_a_word(
    anonymiser: Anonymiser, text: str, word: str
) -> None:
    assert untouched(anonymiser, text, word)


def test_a_verb_stays_outside_a_name(anonymiser: Anonymiser) -> None:
    assert ("PERSON", "Priyanka") in found(anonymiser, "Priyanka goes to the gym every day.")


def test_justice_abbreviations_are_not_organisations(anonymiser: Anonymiser) -> None:
    text = "They checked the PNC and my NI number, then my DBS came back."
    for word in ("PNC", "NI", "DBS"):
        assert untouched(anonymiser, text, word), word


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("we met at the fleece inn on ashdown crescent", "fleece inn"),
        ("we met at the fleece inn on ashdown crescent", "ashdown crescent"),
        ("he was born in Furness General Hospital", "Furness General"),
        ("we used to fish off the end of Alder Dock", "Alder Dock"),
        ("my nan took me to Ulverston Minster", "Ulverston Minster"),
        ("we walked along the river kent to the bridge", "river kent"),
        ("the youth club met at st aidan's every week", "st aidan's"),
    ],
)
def test_streets_venues_and_landmarks_are_found_in_any_case(
    anonymiser: Anonymiser, text: str, place: str
) -> None:
    assert covered(anonymiser, text, place)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("down the main road and past the bus station", "main road"),
        ("I go to the day centre and the job centre", "day centre"),
        ("we have a craft group on tuesdays", "craft group"),
        ("I don't trust anyone from that office", "trust"),
    ],
)
def test_descriptions_are_not_names(anonymiser: Anonymiser, text: str, words: str) -> None:
    assert untouched(anonymiser, text, words)


@pytest.mark.parametrize(
    ("text", "organisation"),
    [
        ("I got a start with Brightpath Training after that", "Brightpath Training"),
        ("she volunteers at the Northgate Women's Trust", "Northgate Women's Trust"),
        ("my lad plays for the Alder Vale Juniors", "Alder Vale"),
        ("he got taken on by Greystone Logistics Ltd", "Greystone Logistics Ltd"),
        ("i went to kendal and lancaster college", "kendal and lancaster college"),
        ("we watch keswick rovers every other week", "keswick rovers"),
    ],
)
def test_organisations_are_found_by_the_kind_of_body_they_end_in(
    anonymiser: Anonymiser, text: str, organisation: str
) -> None:
    assert covered(anonymiser, text, organisation)


@pytest.mark.parametrize(
    ("text", "prison"),
    [
        ("When he came home from HMP Ford the kids were shy.", "HMP Ford"),
        ("i did a year in hmp durham", "hmp durham"),
        ("He spent two years in Wormwood Scrubs.", "Wormwood Scrubs"),
    ],
)
def test_prisons_are_organisations(anonymiser: Anonymiser, text: str, prison: str) -> None:
    assert covered(anonymiser, text, prison)


def test_a_prison_name_that_is_a_word_needs_its_prefix(anonymiser: Anonymiser) -> None:
    assert untouched(anonymiser, "They said they would send the letter on.", "send")
    assert covered(anonymiser, "she did eight months in HMP Send", "HMP Send")


def test_courts_are_found_by_rule(anonymiser: Anonymiser) -> None:
    text = "I was sentenced at Kendal Magistrates' Court in the end."
    assert covered(anonymiser, text, "Kendal Magistrates' Court")
    assert untouched(anonymiser, "I went back to the magistrates court on my own.", "court")


def test_a_sites_own_places_and_names_are_used(anonymiser: Anonymiser) -> None:
    text = "we all went down meadows and saw tuppence there"
    assert untouched(anonymiser, text, "meadows")
    assert untouched(anonymiser, text, "tuppence")
    lists = Lists(places=("Meadows",), names=("Tuppence",))
    assert covered(anonymiser, text, "meadows", lists=lists)
    assert covered(anonymiser, text, "tuppence", lists=lists)


def test_a_sites_keep_words_are_never_redacted(anonymiser: Anonymiser) -> None:
    text = "I go to the Harbour Lights Project every week."
    assert covered(anonymiser, text, "Harbour Lights Project")
    kept = Lists(keep=("Harbour Lights Project",))
    assert untouched(anonymiser, text, "Harbour Lights Project", lists=kept)


@pytest.mark.parametrize(
    "phrase",
    [
        "my case manager",
        "probation",
        "the hostel",
        "Universal Credit",
        "the job centre",
        "the GP",
        "the NHS",
        "Christmas",
        "the enabling fund",
        "Community Payback",
    ],
)
def test_roles_and_services_are_kept(anonymiser: Anonymiser, phrase: str) -> None:
    text = f"Honestly, {phrase} helped me more than I thought, every Saturday."
    assert untouched(anonymiser, text, phrase)


def test_known_names_are_found_whole_in_part_and_misspelt(anonymiser: Anonymiser) -> None:
    text = "so bartek came round and kowalcyk said the kids were fine"
    known = ["Bartek Kowalczyk"]
    assert covered(anonymiser, text, "bartek", known_names=known)
    assert covered(anonymiser, text, "kowalcyk", known_names=known)
    sources = {d.source for d in anonymiser.detect(text, known_names=known)}
    assert "known_name" in sources


def test_known_names_that_are_everyday_words_need_a_cue(anonymiser: Anonymiser) -> None:
    text = "i will be there and will said so"
    detections = anonymiser.detect(text, known_names=["Will Carter"])
    assert [d.start for d in detections] == [text.index("will said")]


def test_confidence_comes_from_the_evidence(anonymiser: Anonymiser) -> None:
    text = "my mate bartosz came round with a lad called zeppo from the gym"
    scores = {d.text: d.confidence for d in anonymiser.detect(text)}
    assert scores["bartosz"] >= UNSURE_BELOW  # a listed name after "my mate"
    assert scores["zeppo"] < scores["bartosz"]  # in no list: found only by "called"
    rare = anonymiser.detect("we had a right laugh with zeppo after")
    assert rare and rare[0].confidence < UNSURE_BELOW  # no list, no cue: hidden but unsure


def test_every_detection_is_well_formed(anonymiser: Anonymiser) -> None:
    text = "Bartosz rang 07700 900123 from Ashdown Crescent, Keswick, on the 2nd of May."
    detections = anonymiser.detect(text)
    assert detections == sorted(detections, key=lambda d: d.start)
    for left, right in itertools.pairwise(detections):
        assert left.end <= right.start
    for detection in detections:
        assert text[detection.start : detection.end] == detection.text
        assert 0 <= detection.confidence <= 1
        assert detection.source in SOURCES


def test_in_speech_a_bare_name_that_is_also_a_word_is_hidden_but_unsure(
    anonymiser: Anonymiser,
) -> None:
    text = "and then rose came round with the kids"
    rose = [d for d in anonymiser.detect(text) if d.text == "rose"]
    assert rose and rose[0].confidence < UNSURE_BELOW
    assert untouched(anonymiser, "the water rose over the step", "rose")


@pytest.mark.parametrize(
    ("text", "place", "plain"),
    [
        ("she lives over in little keswick now", "little keswick", None),
        ("we grew up round brackley side", "brackley side", None),
        ("it was on the other side of the road", None, "other side"),
        ("we sat at the top end of the room", None, "top end"),
    ],
)
def test_place_names_built_from_a_listed_place(
    anonymiser: Anonymiser, text: str, place: str | None, plain: str | None
) -> None:
    if place:
        assert covered(anonymiser, text, place)
    if plain:
        assert untouched(anonymiser, text, plain)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("at the match a bloke called oscar fenwick-hale bought me a pie", "oscar fenwick-hale"),
        ("my case manager, aoife donnelly, rang me back", "aoife donnelly"),
        ("the meeting was at st oswald's hall in the end", "st oswald's hall"),
    ],
)
def test_whole_names_are_covered_in_lower_case(
    anonymiser: Anonymiser, text: str, name: str
) -> None:
    assert covered(anonymiser, text, name)


def test_irregular_verbs_are_words_not_names(anonymiser: Anonymiser) -> None:
    text = "she rang me and went home and brought the kids"
    assert [d.text for d in anonymiser.detect(text)] == []


def test_a_possessive_before_a_venue_is_not_a_name(anonymiser: Anonymiser) -> None:
    assert untouched(anonymiser, "we all went back to my mum's house after", "house")


def test_in_speech_the_words_after_grew_up_in_are_a_place(anonymiser: Anonymiser) -> None:
    text = "she lives in brown edge now with her nan"
    assert covered(anonymiser, text, "brown edge")
    assert untouched(anonymiser, "she lives in a flat now", "flat")


def test_a_nickname_keeps_its_prefix(anonymiser: Anonymiser) -> None:
    assert covered(anonymiser, "my mate big gaz rang me about the van", "big gaz")
    assert covered(anonymiser, "i saw little dave at the shop", "little dave")
    assert untouched(anonymiser, "we had a big dinner after", "big")
