"""The tagger: codebook, scores, evidence for every assigned theme, other senses, learning."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from storybank.tag.embedding import DIMENSIONS
from storybank.tag.embedding import Embedder
from storybank.tag.engine import Codebook
from storybank.tag.engine import Example
from storybank.tag.engine import Tagger
from storybank.tag.engine import TaggerError
from storybank.tag.engine import Theme
from storybank.tag.engine import default_codebook
from storybank.tag.engine import load_weights
from storybank.tag.engine import retrain
from storybank.tag.engine import save_weights
from storybank.tag.engine import weights_from_dict
from storybank.tag.engine import weights_to_dict


def assigned(tagger: Tagger, text: str) -> set[str]:
    return {s.theme for s in tagger.score(text) if s.assigned}


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """A fake embedder for learning tests: hashed words, L2-normalised (fast, deterministic)."""
    out = np.zeros((len(texts), DIMENSIONS))
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z']+", text.lower()):
            out[row, int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIMENSIONS] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def test_default_codebook_is_complete_and_valid() -> None:
    codebook = default_codebook()
    assert codebook.version == 1
    assert codebook.keys() == ("trust", "choice", "community")
    for theme in codebook.themes:
        assert theme.name and len(theme.definition) > 80
        assert len(theme.indicators) >= 8
        assert 4 <= len(theme.positive_examples) <= 8
        assert 3 <= len(theme.negative_examples) <= 6
        passages = theme.positive_examples + theme.negative_examples
        assert len(set(passages)) == len(passages)


def test_codebook_examples_quote_no_sample_or_development_story(shared_texts: str) -> None:
    words = re.findall(r"[a-z']+", shared_texts)
    runs = {" ".join(words[i : i + 6]) for i in range(len(words) - 5)}
    for theme in default_codebook().themes:
        for passage in theme.positive_examples + theme.negative_examples:
            own = re.findall(r"[a-z']+", passage.lower())
            copied = [" ".join(own[i : i + 6]) for i in range(len(own) - 5)]
            assert not runs.intersection(copied), passage


def test_every_theme_gets_a_score_and_every_assigned_theme_has_evidence(tagger: Tagger) -> None:
    texts = [
        "The bus was late.\nMy support worker rings me back every single time she says she will. "
        "I chose the course myself and nobody pushed me. My brother and his kids come for tea.",
        "speaker 1: how have things been\nspeaker 2: yeah so um my worker she sat down with me "
        "and we wrote the plan together you know what i wanted first and what could wait and "
        "then on sundays i go round my nan's with my cousins and we all have dinner together",
        "The washing machine broke again on Thursday.",
    ]
    for text in texts:
        results = tagger.score(text)
        assert [r.theme for r in results] == ["trust", "choice", "community"]
        for result in results:
            assert 0.0 <= result.score <= 1.0
            assert result.assigned == (result.score >= 0.5)
            assert result.assigned == bool(result.evidence)
            for evidence in result.evidence:
                assert text[evidence.start : evidence.end] == evidence.text
                assert len(evidence.text.split()) <= 30
    assert assigned(tagger, texts[0]) >= {"choice", "community"}
    assert assigned(tagger, texts[1]) >= {"choice", "community"}
    assert assigned(tagger, texts[2]) == set()


def test_empty_text_scores_nothing(tagger: Tagger) -> None:
    assert [r.assigned for r in tagger.score("")] == [False, False, False]


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Whatever I tell her ends up in a report for the court.", "trust"),
        ("For once somebody asked me what I wanted the money to go on.", "choice"),
        (
            "My officer let me pick what the grant paid for, a bike so I could get to work.",
            "choice",
        ),
        (
            "The lads at the shed never once asked what I'd done, they just passed me a mug.",
            "community",
        ),
        ("I help out on the soup run on Fridays now.", "community"),
    ],
)
def test_themes_stated_without_their_keywords_are_caught(
    tagger: Tagger, text: str, theme: str
) -> None:
    assert theme in assigned(tagger, text)


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("The NHS trust moved my scan to next month.", "trust"),
        ("To be honest the weather was terrible all week.", "trust"),
        ("I finished my community payback hours in March.", "community"),
        ("The reporter came on Tuesday.", "community"),
        ("I had no choice but to queue for an hour at the post office.", "choice"),
    ],
)
def test_a_word_in_another_sense_does_not_fire(tagger: Tagger, text: str, theme: str) -> None:
    assert theme not in assigned(tagger, text)


def test_evidence_is_the_sentence_that_carries_the_theme(tagger: Tagger) -> None:
    text = (
        "The bus was late again on Monday. "
        "My probation officer told me straight what she would write in the report. "
        "Then I went to the shop for milk."
    )
    trust = {s.theme: s for s in tagger.score(text)}["trust"]
    assert trust.assigned
    assert [e.text for e in trust.evidence] == [
        "My probation officer told me straight what she would write in the report."
    ]


def test_a_new_theme_works_from_its_definition_and_examples(embedder: Embedder) -> None:
    housing = Theme(
        "housing",
        "Housing",
        "Finding, losing and keeping somewhere to live: tenancies, hostels, landlords, rent.",
        positive_examples=(
            "The council finally offered me a one-bedroom flat near my work.",
            "I was sofa-surfing for months before the hostel had a room.",
            "The landlord wants two months' deposit and I haven't got it.",
        ),
        negative_examples=(
            "I watched the match at my mate's.",
            "The bus was late and it rained all the way.",
            "My probation officer asked how the course was going.",
        ),
    )
    codebook = Codebook(version=2, themes=(*default_codebook().themes, housing))
    tagger = Tagger(codebook, {}, embedder)  # no trained weights for any theme
    assert "housing" in assigned(tagger, "My tenancy ends next month and I have nowhere to go.")
    assert "housing" not in assigned(tagger, "We played pool all afternoon.")


def test_weights_round_trip_as_json_and_other_embeddings_are_refused(
    tagger: Tagger, tmp_path: Path
) -> None:
    path = tmp_path / "weights.json"
    save_weights(tagger.models, path, note="test")
    assert path.read_bytes().startswith(b"{")  # JSON, not a pickle
    loaded = Tagger(tagger.codebook, load_weights(path), tagger.passages.embed)
    text = "My worker kept her word about the letter."
    assert loaded.score(text) == tagger.score(text)
    data = json.loads(path.read_text())
    data["embedding"]["sha256"] = "0" * 64
    with pytest.raises(TaggerError):
        weights_from_dict(data)
    assert weights_to_dict(tagger.models)["format"] == data["format"]


# A small synthetic task on the bag-of-words fake: "garden" volunteering is community, while
# the codebook only knows clubs and families. Decisions teach it; a held-out set shows it.
GARDEN_THEME = Theme(
    "community",
    "Community",
    "Family, friends, groups and volunteering.",
    positive_examples=("I go to the boxing club with my brother.", "My family came round."),
    negative_examples=("The bus was late.", "I paid the gas bill."),
)
GARDEN_HELD_OUT = [
    ("We dig the allotment plots together every weekend.", True),
    ("The allotment lot gave me my own plot and a key.", True),
    ("I planted onions at the allotment with the volunteers.", True),
    ("The electricity meter ran out on Sunday.", False),
    ("My phone screen cracked on the stairs.", False),
]
GARDEN_DECISIONS = [
    Example("Me and the volunteers keep the allotment going.", "community", True),
    Example("Every weekend at the allotment plots with the others.", "community", True),
    Example("The allotment gang share their seeds and tea.", "community", True),
    Example("My gas meter needs topping up again.", "community", False),
    Example("The screen on my phone went black.", "community", False),
]


def correct(tagger: Tagger) -> int:
    return sum(("community" in assigned(tagger, t)) == present for t, present in GARDEN_HELD_OUT)


def test_decisions_improve_a_held_out_set() -> None:
    assert not {t for t, _ in GARDEN_HELD_OUT} & {e.text for e in GARDEN_DECISIONS}
    codebook = Codebook(version=1, themes=(GARDEN_THEME,))
    before = Tagger(codebook, {}, bag_of_words)
    after = Tagger(codebook, retrain(before, GARDEN_DECISIONS), bag_of_words)
    assert correct(before) < len(GARDEN_HELD_OUT)
    assert correct(after) > correct(before)


def test_a_retrain_keeps_what_the_model_knew() -> None:
    codebook = Codebook(version=1, themes=(GARDEN_THEME,))
    before = Tagger(codebook, {}, bag_of_words)
    after = Tagger(codebook, retrain(before, GARDEN_DECISIONS), bag_of_words)
    for text in GARDEN_THEME.positive_examples:
        assert "community" in assigned(after, text)
    for text in GARDEN_THEME.negative_examples:
        assert "community" not in assigned(after, text)
    unchanged = retrain(before, [])
    assert np.array_equal(unchanged["community"].weights, before.models["community"].weights)


def test_decisions_about_unknown_themes_are_refused() -> None:
    tagger = Tagger(Codebook(version=1, themes=(GARDEN_THEME,)), {}, bag_of_words)
    with pytest.raises(TaggerError):
        retrain(tagger, [Example("text", "housing", True)])


# The same with the real tagger (also used through the app by tests/web/test_tagger_learning.py):
# allotment and canal-boat volunteering is community, which the default model half knows, and
# quiz and bingo nights are not. Corrections are other texts about the same kinds of thing.
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
    Example("The lads at the allotments gave me the key to the tool shed.", "community", True),
    Example("The quiz machine at the pub ate my last two quid.", "community", False),
    Example("Bingo was cancelled again so I watched telly on my own.", "community", False),
    Example("We went to the pub for the quiz but it was rubbish.", "community", False),
    Example(
        "The bingo was called off, so I sat in with a takeaway and the telly.", "community", False
    ),
    Example("The fruit machine swallowed a tenner and paid nothing back.", "community", False),
]


def real_correct(tagger: Tagger) -> int:
    return sum((theme in assigned(tagger, text)) == present for text, theme, present in HELD_OUT)


def test_decisions_teach_the_real_tagger_more_of_a_held_out_set(tagger: Tagger) -> None:
    assert not {text for text, _, _ in HELD_OUT} & {e.text for e in CORRECTIONS}
    before = real_correct(tagger)
    assert before < len(HELD_OUT)
    after = real_correct(
        Tagger(tagger.codebook, retrain(tagger, CORRECTIONS), tagger.passages.embed)
    )
    assert after > before
