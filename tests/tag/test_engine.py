"""The tagger: codebook, scores, evidence, implied themes, other senses, learning, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from storybank.tag.engine import Codebook
from storybank.tag.engine import Example
from storybank.tag.engine import Tagger
from storybank.tag.engine import ThemeScore
from storybank.tag.engine import build_tagger
from storybank.tag.engine import default_codebook
from storybank.tag.engine import load_model
from storybank.tag.engine import save_model
from storybank.tag.features import split_sentences


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return build_tagger(default_codebook())


def scores(tagger: Tagger, text: str) -> dict[str, ThemeScore]:
    return {s.theme: s for s in tagger.score(text)}


def assigned(tagger: Tagger, text: str) -> set[str]:
    return {s.theme for s in tagger.score(text) if s.assigned}


def test_default_codebook_is_complete_and_valid() -> None:
    codebook = default_codebook()
    assert codebook.version == 1
    assert codebook.keys() == ("trust", "choice", "community")
    for theme in codebook.themes:
        assert theme.name and len(theme.definition) > 80
        assert len(theme.indicators) >= 10
        assert 4 <= len(theme.positive_examples) <= 8
        assert 3 <= len(theme.negative_examples) <= 6
        assert len(set(theme.positive_examples + theme.negative_examples)) == len(
            theme.positive_examples + theme.negative_examples
        )


def test_codebook_examples_are_not_copied_from_the_samples(shared_samples: list[dict]) -> None:
    texts = " ".join(record["text"].lower() for record in shared_samples)
    for theme in default_codebook().themes:
        for passage in theme.positive_examples + theme.negative_examples:
            sentence = passage.split(".")[0].lower()
            assert sentence not in texts


def test_every_theme_gets_a_score_and_evidence_offsets_match(tagger: Tagger) -> None:
    text = (
        "My case manager kept every promise she made.\n"
        "I chose to spend the enabling fund on a course. My brother helps me out."
    )
    results = tagger.score(text)
    assert [r.theme for r in results] == ["trust", "choice", "community"]
    for result in results:
        assert 0.0 <= result.score <= 1.0
        assert result.assigned == bool(result.evidence)
        for evidence in result.evidence:
            assert text[evidence.start : evidence.end] == evidence.text
            assert 0.0 <= evidence.score <= 1.0


def test_empty_text_scores_nothing(tagger: Tagger) -> None:
    assert [r.assigned for r in tagger.score("")] == [False, False, False]


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("She turned up at my mum's funeral.", "trust"),
        ("He remembered my daughter's name and asked how her exams went.", "trust"),
        ("Whatever I tell her ends up in a report for the court.", "trust"),
        ("For once somebody asked me what I wanted the money to go on.", "choice"),
        ("They'd already decided everything before I walked in the room.", "choice"),
        (
            "The lads at the shed never once asked what I'd done, they just passed me a mug.",
            "community",
        ),
        ("I help out on the soup run on Fridays now.", "community"),
    ],
)
def test_implied_themes_are_caught(tagger: Tagger, text: str, theme: str) -> None:
    assert theme in assigned(tagger, text)


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("I had no choice of bus, so I walked.", "choice"),
        ("I had no choice but to queue for an hour at the post office.", "choice"),
        ("To be honest the weather was terrible all week.", "trust"),
        ("The NHS trust moved my scan to next month.", "trust"),
        ("I finished my community payback hours in March.", "community"),
        ("The phone company changed my plan and my bill went up.", "choice"),
    ],
)
def test_a_word_in_another_sense_does_not_fire(tagger: Tagger, text: str, theme: str) -> None:
    assert theme not in assigned(tagger, text)


def test_the_sense_guard_keeps_the_real_sense(tagger: Tagger) -> None:
    assert "choice" in assigned(
        tagger, "I had no choice in my own plan, it was all decided for me."
    )


def test_evidence_is_the_sentence_that_carries_the_theme(tagger: Tagger) -> None:
    text = (
        "The bus was late again on Monday. "
        "My probation officer told me straight what she would write in the report. "
        "Then I went to the shop for milk."
    )
    trust = scores(tagger, text)["trust"]
    assert trust.assigned
    assert [e.text for e in trust.evidence] == [
        "My probation officer told me straight what she would write in the report."
    ]


def test_transcripts_are_split_into_clauses() -> None:
    text = "speaker 1: so how was it\nspeaker 2: " + " ".join(["and it was fine"] * 20)
    sentences = split_sentences(text)
    assert sentences[0].text == "so how was it"
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert all("speaker" not in s.text for s in sentences)
    assert len(sentences) > 2


# The held-out set: allotment and canal-boat volunteering (community) and talk of a "mentor from
# the recovery café" whom the person trusts. Corrections below are different texts about the
# same kind of thing, and false alarms about pub quiz and bingo nights.
HELD_OUT = [
    (
        "We've got a plot on the allotments by the railway and I'm there every evening.",
        "community",
        True,
    ),
    ("The allotment lot gave me a spare key to the plot shed last week.", "community", True),
    ("I do Saturdays on the canal boat trips for the disabled kids' charity.", "community", True),
    ("The quiz machine in the pub paid out twice, which never happens.", "community", False),
    ("Bingo night got cancelled so we stayed in and watched telly.", "community", False),
]
CORRECTIONS = [
    Example("Me and my cousin took on an allotment plot and grow spuds.", "community", True),
    Example("The allotment is where I go every day now, we share the plot.", "community", True),
    Example("Saturdays I crew the canal boat trips for the charity.", "community", True),
    Example("Every Sunday on the allotments with the old fellas.", "community", True),
    Example("The quiz machine at the pub ate my last two quid.", "community", False),
    Example("Bingo was cancelled again so I watched telly on my own.", "community", False),
    Example("We went to the pub for the quiz but it was rubbish.", "community", False),
]


def correct_count(tagger: Tagger) -> int:
    return sum((theme in assigned(tagger, text)) == present for text, theme, present in HELD_OUT)


def test_learning_from_corrections_gets_strictly_more_of_a_held_out_set_right(
    tagger: Tagger,
) -> None:
    held_out_texts = {text for text, _, _ in HELD_OUT}
    assert not held_out_texts & {e.text for e in CORRECTIONS}
    before = correct_count(tagger)
    assert before < len(HELD_OUT)
    after = correct_count(build_tagger(default_codebook(), CORRECTIONS))
    assert after > before


def test_decisions_about_unknown_themes_are_refused() -> None:
    from storybank.tag.engine import TaggerError

    with pytest.raises(TaggerError):
        build_tagger(default_codebook(), [Example("text", "housing", True)])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    trained = build_tagger(default_codebook(), CORRECTIONS)
    path = tmp_path / "model.json"
    save_model(trained, path)
    loaded = load_model(path, default_codebook())
    text = CORRECTIONS[0].text
    assert loaded.score(text) == trained.score(text)
    assert b"\x80" not in path.read_bytes()[:2]  # JSON, not a pickle


def test_a_model_for_another_codebook_version_is_rebuilt(tmp_path: Path) -> None:
    trained = build_tagger(default_codebook(), CORRECTIONS)
    path = tmp_path / "model.json"
    save_model(trained, path)
    newer = Codebook(version=2, themes=default_codebook().themes)
    rebuilt = load_model(path, newer)
    assert rebuilt.codebook.version == 2
    fresh = build_tagger(newer)
    text = HELD_OUT[0][0]
    assert rebuilt.score(text) == fresh.score(text)


def test_a_custom_theme_works_from_its_indicators() -> None:
    from storybank.tag.engine import Theme

    codebook = Codebook(
        version=1,
        themes=(
            Theme(
                "housing",
                "Housing",
                "Finding and keeping a home.",
                indicators=("tenancy", "landlord", "hostel"),
                positive_examples=("The landlord gave me the tenancy at last.",),
                negative_examples=("I watched telly.",),
            ),
        ),
    )
    housing = build_tagger(codebook)
    assert housing.score("My landlord says the tenancy starts Monday.")[0].assigned
    assert not housing.score("The bus was late.")[0].assigned
