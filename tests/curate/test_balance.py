"""The balanced set: coverage, one story per storyteller, the budget, reproducibility, reporting."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from storybank.curate.engine.balance import BalancedSet
from storybank.curate.engine.balance import Candidate
from storybank.curate.engine.balance import suggest_balanced_set

VOICES = ["person_on_probation", "peer_mentor", "staff", "family_or_friend"]
THEMES = ["trust", "choice", "community"]


def story(
    story_id: int,
    voice: str = "person_on_probation",
    themes: tuple[str, ...] = ("trust",),
    words: int = 300,
    storyteller: str | None = None,
) -> Candidate:
    """An invented candidate; each story has its own storyteller unless one is given."""
    return Candidate(
        story_id=story_id,
        storyteller=storyteller if storyteller is not None else f"teller-{story_id}",
        voice=voice,
        themes=frozenset(themes),
        words=words,
    )


def by_id(candidates: list[Candidate]) -> dict[int, Candidate]:
    return {c.story_id: c for c in candidates}


def assert_invariants(
    candidates: list[Candidate],
    themes: list[str],
    voices: list[str],
    budget: int,
    result: BalancedSet,
    max_stories: int | None = None,
) -> None:
    """Check everything the balancer promises about one result."""
    known = by_id(candidates)
    chosen = [known[i] for i in result.story_ids]
    assert len(set(result.story_ids)) == len(result.story_ids)
    assert len({c.storyteller for c in chosen}) == len(chosen)
    assert result.words == sum(c.words for c in chosen) <= budget
    if max_stories is not None:
        assert len(chosen) <= max_stories
    met_themes = {t for c in chosen for t in c.themes}
    met_voices = {c.voice for c in chosen}
    assert result.uncovered_themes == [t for t in dict.fromkeys(themes) if t not in met_themes]
    assert result.uncovered_voices == [v for v in dict.fromkeys(voices) if v not in met_voices]
    if max_stories is not None and len(chosen) >= max_stories:
        return
    used = {c.storyteller for c in chosen}
    words_left = budget - result.words
    for candidate in candidates:
        if candidate.storyteller in used or candidate.words > words_left:
            continue
        assert not candidate.themes & set(result.uncovered_themes), candidate
        assert candidate.voice not in result.uncovered_voices, candidate


def test_every_theme_and_voice_is_covered_when_possible() -> None:
    candidates = [
        story(1, "person_on_probation", ("trust",)),
        story(2, "peer_mentor", ("choice",)),
        story(3, "staff", ("community",)),
        story(4, "family_or_friend", ("trust", "choice")),
        story(5, "staff", ("trust",), words=900),
        story(6, "person_on_probation", ("community", "choice"), words=700),
    ]
    result = suggest_balanced_set(candidates, THEMES, VOICES, word_budget=5000, seed=1)
    assert result.uncovered_themes == []
    assert result.uncovered_voices == []
    chosen = [by_id(candidates)[i] for i in result.story_ids]
    assert {c.voice for c in chosen} == set(VOICES)
    assert {t for c in chosen for t in c.themes} >= set(THEMES)
    assert_invariants(candidates, THEMES, VOICES, 5000, result)


def test_a_storyteller_gives_at_most_one_story() -> None:
    # The two cheapest stories are by the same person; the set must take someone else's too.
    candidates = [
        story(1, "person_on_probation", ("trust",), 150, storyteller="same"),
        story(2, "person_on_probation", ("choice",), 150, storyteller="same"),
        story(3, "person_on_probation", ("choice",), 600),
    ]
    result = suggest_balanced_set(candidates, ["trust", "choice"], [], 2000, seed=3)
    assert sorted(result.story_ids) in ([1, 3], [2, 3])
    assert result.uncovered_themes == []
    big = suggest_balanced_set(candidates, ["trust", "choice"], [], 2000, seed=3, max_stories=5)
    tellers = [by_id(candidates)[i].storyteller for i in big.story_ids]
    assert len(tellers) == len(set(tellers))


def test_the_word_budget_is_never_exceeded() -> None:
    candidates = [story(i, VOICES[i % 4], (THEMES[i % 3],), 250 + 50 * i) for i in range(1, 30)]
    for budget in (300, 700, 1200, 4000):
        for max_stories in (None, 10):
            result = suggest_balanced_set(candidates, THEMES, VOICES, budget, 5, max_stories)
            assert result.words <= budget
            assert_invariants(candidates, THEMES, VOICES, budget, result, max_stories)


def test_a_story_longer_than_the_budget_is_never_chosen() -> None:
    candidates = [story(1, "staff", ("trust", "choice", "community"), 1001)]
    result = suggest_balanced_set(candidates, THEMES, ["staff"], 1000, seed=0)
    assert result.story_ids == []
    assert result.uncovered_themes == THEMES
    assert result.uncovered_voices == ["staff"]
    assert result.words == 0


def tied_pool() -> list[Candidate]:
    """Many stories that are interchangeable for the balancer, plus a few distinct ones."""
    pool = [story(i, VOICES[i % 4], (THEMES[i % 3],), 200 + (i % 5) * 100) for i in range(1, 200)]
    pool += [story(200 + i, "staff", ("trust", "choice"), 400) for i in range(20)]
    return pool


def test_the_same_seed_gives_the_same_set_whatever_the_input_order() -> None:
    candidates = tied_pool()
    first = suggest_balanced_set(candidates, THEMES, VOICES, 3000, seed=11, max_stories=8)
    for shuffle_seed in range(10):
        shuffled = list(candidates)
        random.Random(shuffle_seed).shuffle(shuffled)
        again = suggest_balanced_set(shuffled, THEMES, VOICES, 3000, seed=11, max_stories=8)
        assert again == first


def test_the_order_of_themes_and_voices_does_not_change_which_stories() -> None:
    candidates = tied_pool()
    first = suggest_balanced_set(candidates, THEMES, VOICES, 3000, seed=4, max_stories=8)
    other = suggest_balanced_set(
        candidates, THEMES[::-1], VOICES[::-1], 3000, seed=4, max_stories=8
    )
    assert sorted(other.story_ids) == sorted(first.story_ids)


def test_a_different_seed_can_break_ties_differently() -> None:
    # Ten stories alike in voice, theme and length: only the seed chooses between them.
    candidates = [story(i, "peer_mentor", ("trust",), 300) for i in range(1, 11)]
    chosen = {
        tuple(suggest_balanced_set(candidates, ["trust"], ["peer_mentor"], 1000, seed).story_ids)
        for seed in range(20)
    }
    assert len(chosen) > 1
    assert all(len(ids) == 1 for ids in chosen)


def test_a_theme_no_story_has_is_reported_uncovered() -> None:
    candidates = [story(1, "staff", ("trust",)), story(2, "peer_mentor", ("choice",))]
    result = suggest_balanced_set(candidates, ["trust", "housing", "choice"], [], 2000, seed=0)
    assert result.uncovered_themes == ["housing"]
    assert sorted(result.story_ids) == [1, 2]


def test_a_voice_found_only_in_over_budget_stories_is_reported_uncovered() -> None:
    candidates = [
        story(1, "person_on_probation", ("trust",), 300),
        story(2, "family_or_friend", ("trust",), 2500),
        story(3, "family_or_friend", ("choice",), 1800),
    ]
    result = suggest_balanced_set(
        candidates, ["trust"], ["person_on_probation", "family_or_friend"], 1500, seed=0
    )
    assert result.story_ids == [1]
    assert result.uncovered_voices == ["family_or_friend"]
    assert result.uncovered_themes == []


def test_a_shorter_story_is_preferred_when_it_covers_the_same() -> None:
    candidates = [
        story(1, "staff", ("trust", "choice"), 800),
        story(2, "staff", ("trust", "choice"), 200),
        story(3, "staff", ("trust", "choice"), 500),
    ]
    for seed in range(10):
        result = suggest_balanced_set(candidates, ["trust", "choice"], ["staff"], 2000, seed)
        assert result.story_ids == [2]


def test_a_story_meeting_more_per_word_beats_several_short_ones() -> None:
    candidates = [
        story(1, "staff", ("trust",), 200),
        story(2, "staff", ("choice",), 200),
        story(3, "staff", ("community",), 200),
        story(4, "staff", ("trust", "choice", "community"), 450),
    ]
    result = suggest_balanced_set(candidates, THEMES, ["staff"], 2000, seed=0)
    assert result.story_ids == [4]


def test_the_budget_is_not_spent_on_a_cheap_story_that_leaves_no_room() -> None:
    # Greedy alone takes story 1 (best per word) and then cannot afford story 2, the only one
    # with "choice"; story 2 alone meets both themes within the budget.
    candidates = [story(1, "staff", ("trust",), 200), story(2, "staff", ("trust", "choice"), 900)]
    result = suggest_balanced_set(candidates, ["trust", "choice"], [], 1000, seed=0)
    assert result.story_ids == [2]
    assert result.uncovered_themes == []


def test_a_storytellers_short_story_does_not_block_their_story_a_theme_needs() -> None:
    # Story 1 is the best start, but its storyteller also told story 2, the only one with
    # "trust"; taking stories 2 and 3 instead meets everything.
    candidates = [
        story(1, "person_on_probation", ("work",), 100, storyteller="a"),
        story(2, "person_on_probation", ("trust",), 350, storyteller="a"),
        story(3, "peer_mentor", ("work",), 312, storyteller="b"),
    ]
    result = suggest_balanced_set(candidates, ["work", "trust"], ["person_on_probation"], 1000, 0)
    assert sorted(result.story_ids) == [2, 3]
    assert result.uncovered_themes == []


def test_a_story_made_redundant_by_later_ones_is_dropped() -> None:
    candidates = [
        story(1, "staff", ("trust", "choice"), 300),
        story(2, "peer_mentor", ("trust",), 100),
        story(3, "person_on_probation", ("choice",), 100),
    ]
    result = suggest_balanced_set(
        candidates, ["trust", "choice"], ["peer_mentor", "person_on_probation"], 2000, seed=0
    )
    assert sorted(result.story_ids) == [2, 3]
    assert result.words == 200


def test_without_max_stories_the_set_is_only_the_cover() -> None:
    candidates = tied_pool()
    result = suggest_balanced_set(candidates, THEMES, VOICES, 20_000, seed=2)
    assert result.uncovered_themes == [] and result.uncovered_voices == []
    assert len(result.story_ids) <= len(VOICES)


def test_max_stories_fills_the_set_keeping_voices_balanced() -> None:
    candidates = [story(i, "person_on_probation", (THEMES[i % 3],), 200) for i in range(1, 40)]
    candidates += [story(100 + i, "peer_mentor", (THEMES[i % 3],), 250) for i in range(5)]
    candidates += [story(200 + i, "staff", (THEMES[i % 3],), 300) for i in range(5)]
    candidates += [story(300, "family_or_friend", ("trust",), 250)]
    result = suggest_balanced_set(candidates, THEMES, VOICES, 20_000, seed=9, max_stories=10)
    voices = [by_id(candidates)[i].voice for i in result.story_ids]
    assert len(voices) == 10
    assert voices.count("family_or_friend") == 1  # the only one there is
    for voice in ("person_on_probation", "peer_mentor", "staff"):
        assert voices.count(voice) == 3
    assert_invariants(candidates, THEMES, VOICES, 20_000, result, 10)


def test_the_fill_stops_at_the_budget() -> None:
    candidates = [story(i, VOICES[i % 4], (THEMES[i % 3],), 300) for i in range(1, 40)]
    result = suggest_balanced_set(candidates, THEMES, VOICES, 1900, seed=1, max_stories=20)
    assert len(result.story_ids) == 6
    assert result.words == 1800


def test_max_stories_smaller_than_the_cover_reports_what_is_left() -> None:
    candidates = [story(i, VOICES[i - 1], ("trust",), 200) for i in range(1, 5)]
    result = suggest_balanced_set(candidates, ["trust"], VOICES, 5000, seed=0, max_stories=2)
    assert len(result.story_ids) == 2
    assert len(result.uncovered_voices) == 2


def test_the_reading_order_alternates_voices() -> None:
    candidates = [story(i, "person_on_probation", ("trust",), 200 + i) for i in range(1, 4)]
    candidates += [story(10, "staff", ("choice",), 300), story(11, "peer_mentor", ("trust",), 300)]
    result = suggest_balanced_set(candidates, ["trust", "choice"], VOICES, 5000, 0, max_stories=5)
    voices = [by_id(candidates)[i].voice for i in result.story_ids]
    assert len(voices) == 5
    assert all(a != b for a, b in pairwise(voices))
    assert voices[0] == "person_on_probation"


def test_no_candidates_leaves_everything_uncovered() -> None:
    result = suggest_balanced_set([], THEMES, VOICES, 1000, seed=0)
    assert result == BalancedSet([], THEMES, VOICES, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"word_budget": -1}, "word budget"),
        ({"word_budget": 0}, "word budget"),
        ({"themes": [], "voices": []}, "at least one theme or one voice"),
        ({"themes": "trust"}, "lists of keys"),
        ({"themes": ["trust", ""]}, "non-empty"),
        ({"max_stories": 0}, "most stories"),
        ({"candidates": [story(1), story(1, words=100)]}, "more than once"),
        ({"candidates": [story(1, words=-5)]}, "negative word count"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs: dict, message: str) -> None:
    arguments = {
        "candidates": [story(1)],
        "themes": THEMES,
        "voices": VOICES,
        "word_budget": 1000,
        "seed": 0,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        suggest_balanced_set(**arguments)


def random_case(
    rng: random.Random,
) -> tuple[list[Candidate], list[str], list[str], int, int | None]:
    """An invented request: few storytellers (so they clash), mixed lengths, some rare themes."""
    pool = ["trust", "choice", "community", "housing", "work", "health"]
    tellers = [f"teller-{n}" for n in range(rng.randint(1, 25))]
    candidates = [
        Candidate(
            story_id=rng.randrange(1, 10_000_000),
            storyteller=rng.choice(tellers),
            voice=rng.choices(VOICES, weights=[6, 2, 2, 1])[0],
            themes=frozenset(rng.sample(pool, rng.randint(0, 3))),
            words=rng.choice([0, rng.randint(50, 1600), rng.randint(150, 400)]),
        )
        for _ in range(rng.randint(0, 40))
    ]
    candidates = list({c.story_id: c for c in candidates}.values())
    themes = rng.sample(pool, rng.randint(0, 5))
    voices = rng.sample(VOICES, rng.randint(0 if themes else 1, 4))
    max_stories = rng.choice([None, None, rng.randint(1, 8)])
    return candidates, themes, voices, rng.randint(100, 4000), max_stories


@pytest.mark.parametrize("n", range(300))
def test_random_requests_keep_every_promise(n: int) -> None:
    rng = random.Random(n)
    candidates, themes, voices, budget, max_stories = random_case(rng)
    seed = rng.randrange(1000)
    result = suggest_balanced_set(candidates, themes, voices, budget, seed, max_stories)
    assert_invariants(candidates, themes, voices, budget, result, max_stories)
    shuffled = list(candidates)
    rng.shuffle(shuffled)
    assert suggest_balanced_set(shuffled, themes, voices, budget, seed, max_stories) == result
