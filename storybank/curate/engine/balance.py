"""Suggest a balanced set of stories for a pack: every chosen theme and voice, within a budget.

The requirements are the chosen themes and the chosen voices, each on its own: a set meets a
theme when one of its stories carries that theme, and a voice when one of its stories is told
in it (not every theme in every voice, which would take dozens of stories). A story is
*eligible* when it is no longer than the word budget and carries a chosen theme or a chosen
voice. The set never holds two stories by one storyteller and never runs over the budget.

1. Canonical order. The candidates are sorted by story id and shuffled with
   `random.Random(seed)`; the shuffled position is each story's *rank*, the last tie-break. So
   the same seed and the same candidates give the same set whatever order they arrive in, and
   the order of `themes` and `voices` changes nothing but the reading order.
2. Cover (greedy weighted set cover). Repeatedly add the story that meets the most unmet
   requirements per word; equal ratios go to the shorter story, then to the lower rank. Stories
   are grouped by the requirements they meet, and only the shortest usable story of each group
   can win, so a step looks at a few hundred groups, not every story.
3. Improve (local search). Drop stories whose requirements the others meet, longest first.
   Then try each group's shortest story as a *swap*: add it, and drop the chosen story by the
   same storyteller, the stories it makes redundant, and, while a requirement is unmet, any
   one other chosen story. Then try a *rebuild*: take one chosen story out, bar it, and cover
   greedily again. A change is kept only if the set then meets more requirements, or as many
   in fewer words, or in fewer stories, within the budget and `max_stories`; so each round
   strictly improves and the search ends. This mends greedy's usual faults: spending the
   budget on cheap stories with no room left for the only story with a rare theme, taking
   three short stories where one a little longer meets all they meet, and a storyteller's
   story standing in the way of a better one by the same person. It is not an exact
   optimum: on small, crowded test pools (a handful of storytellers with several stories
   each, tight budgets) it meets one requirement fewer than the best possible about 1% of
   the time.
4. Fill (only when `max_stories` is given: it is the size the facilitator wants, as well as a
   cap). While stories and words are left, add, from the voice with fewest stories so far, a
   story carrying the least-represented chosen theme, the shortest such (then by rank). A
   filled story must carry a chosen theme (when themes were chosen) and a chosen voice (when
   voices were chosen). Without `max_stories` the result is the small covering set.

Whatever cannot be met is reported in `uncovered_themes` and `uncovered_voices`, in the order
asked. When the result has fewer than `max_stories` stories, no unused storyteller's story that
fits in the words left meets any of them. The reading order alternates voices as far as it can
(the voice with most stories left goes next, ties in the order of `voices`), each voice's
stories shortest first.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from itertools import pairwise
from typing import NamedTuple


@dataclass(frozen=True)
class Candidate:
    """A story that may go in the pack, as the balancer sees it."""

    story_id: int
    storyteller: str  # an opaque key: two stories with the same key are the same storyteller
    voice: str
    themes: frozenset[str]  # confirmed theme keys
    words: int


@dataclass(frozen=True)
class BalancedSet:
    """The suggested stories, and what they could not cover."""

    story_ids: list[int]  # in reading order
    uncovered_themes: list[str]  # chosen themes no eligible story within budget could cover
    uncovered_voices: list[str]
    words: int


_NOTHING_BARRED: frozenset[int] = frozenset()


class _Story(NamedTuple):
    """An eligible candidate: sorts shortest first, then by its seeded rank."""

    words: int
    rank: int
    story_id: int
    storyteller: str
    voice: str
    mask: int  # the requirements it meets, one bit each


@dataclass(frozen=True)
class _Group:
    """The eligible stories that meet exactly the same requirements, shortest first."""

    mask: int
    theme_bits: tuple[int, ...]
    stories: list[_Story]


@dataclass(frozen=True)
class _Problem:
    """The requirements as bits (themes first, then voices) and the grouped eligible stories."""

    themes: tuple[str, ...]
    voices: tuple[str, ...]
    budget: int
    limit: int  # the most stories; len(candidates) + 1 when there is no cap
    fill: bool
    groups: list[_Group]

    @property
    def wanted(self) -> int:
        return (1 << (len(self.themes) + len(self.voices))) - 1


@dataclass
class _Selection:
    """Stories chosen so far, with what they cover, their words and their storytellers."""

    stories: list[_Story] = field(default_factory=list)
    covered: int = 0
    words: int = 0
    storytellers: set[str] = field(default_factory=set)

    def add(self, story: _Story) -> None:
        self.stories.append(story)
        self.covered |= story.mask
        self.words += story.words
        self.storytellers.add(story.storyteller)

    def remove(self, story: _Story) -> None:
        self.stories.remove(story)
        self.words -= story.words
        self.storytellers.discard(story.storyteller)
        self.covered = 0
        for kept in self.stories:
            self.covered |= kept.mask

    def quality(self) -> tuple[int, int, int]:
        """Smaller is better: most requirements met, then fewest words, then fewest stories."""
        return -self.covered.bit_count(), self.words, len(self.stories)


def suggest_balanced_set(
    candidates: Sequence[Candidate],
    themes: Sequence[str],
    voices: Sequence[str],
    word_budget: int,
    seed: int,
    max_stories: int | None = None,
) -> BalancedSet:
    """Suggest stories covering every chosen theme and voice, one per storyteller, within budget.

    Raises ValueError when the request or a candidate is not valid.
    """
    theme_keys, voice_keys = _check_request(themes, voices, word_budget, max_stories)
    problem = _index(candidates, theme_keys, voice_keys, word_budget, seed, max_stories)
    selection = _cover(problem)
    if problem.fill:
        _fill(problem, selection)
    offset = len(theme_keys)
    return BalancedSet(
        story_ids=_reading_order(selection.stories, voice_keys),
        uncovered_themes=[
            key for bit, key in enumerate(theme_keys) if not selection.covered >> bit & 1
        ],
        uncovered_voices=[
            key for bit, key in enumerate(voice_keys, offset) if not selection.covered >> bit & 1
        ],
        words=selection.words,
    )


def _check_request(
    themes: Sequence[str], voices: Sequence[str], word_budget: int, max_stories: int | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the themes and voices without repeats, or raise ValueError saying what is wrong."""
    if isinstance(themes, str) or isinstance(voices, str):
        raise ValueError("Themes and voices must be lists of keys, not a single string.")
    theme_keys = tuple(dict.fromkeys(themes))
    voice_keys = tuple(dict.fromkeys(voices))
    if not theme_keys and not voice_keys:
        raise ValueError("Choose at least one theme or one voice for the set to cover.")
    if any(not isinstance(key, str) or not key for key in theme_keys + voice_keys):
        raise ValueError("Every theme and voice must be a non-empty key.")
    if isinstance(word_budget, bool) or not isinstance(word_budget, int) or word_budget < 1:
        raise ValueError(
            f"The word budget must be a whole number of words, at least 1: {word_budget!r}."
        )
    if max_stories is not None and (
        isinstance(max_stories, bool) or not isinstance(max_stories, int) or max_stories < 1
    ):
        raise ValueError(f"The most stories must be a whole number, at least 1: {max_stories!r}.")
    return theme_keys, voice_keys


def _index(
    candidates: Sequence[Candidate],
    themes: tuple[str, ...],
    voices: tuple[str, ...],
    budget: int,
    seed: int,
    max_stories: int | None,
) -> _Problem:
    """Rank the candidates by seed and group the eligible ones by the requirements they meet."""
    ordered = sorted(candidates, key=lambda c: c.story_id)
    for before, after in pairwise(ordered):
        if before.story_id == after.story_id:
            raise ValueError(f"Story {after.story_id} appears more than once among the candidates.")
    ranks = list(range(len(ordered)))
    random.Random(seed).shuffle(ranks)
    theme_bit = {key: 1 << bit for bit, key in enumerate(themes)}
    voice_bit = {key: 1 << bit for bit, key in enumerate(voices, len(themes))}
    masks: dict[frozenset[str], int] = {}
    grouped: dict[int, list[_Story]] = {}
    for candidate, rank in zip(ordered, ranks, strict=True):
        if candidate.words < 0:
            raise ValueError(f"Story {candidate.story_id} has a negative word count.")
        if candidate.words > budget:
            continue
        mask = masks.get(candidate.themes)
        if mask is None:
            mask = masks[candidate.themes] = sum(theme_bit.get(key, 0) for key in candidate.themes)
        mask |= voice_bit.get(candidate.voice, 0)
        if mask:
            story = _Story(
                candidate.words,
                rank,
                candidate.story_id,
                candidate.storyteller,
                candidate.voice,
                mask,
            )
            grouped.setdefault(mask, []).append(story)
    groups = [
        _Group(mask, tuple(b for b in range(len(themes)) if mask >> b & 1), sorted(stories))
        for mask, stories in sorted(grouped.items())
    ]
    limit = max_stories if max_stories is not None else len(ordered) + 1
    return _Problem(themes, voices, budget, limit, max_stories is not None, groups)


def _usable(
    stories: list[_Story],
    storytellers: set[str],
    words_left: int,
    banned: frozenset[int] = _NOTHING_BARRED,
) -> _Story | None:
    """Return a group's shortest story by an unused storyteller, if it fits in the words left."""
    for story in stories:
        if story.words > words_left:
            return None
        if story.storyteller not in storytellers and story.story_id not in banned:
            return story
    return None


def _better(gain: int, story: _Story, best_gain: int, best: _Story) -> bool:
    """Say whether `story` meets more unmet requirements per word than `best` (exactly)."""
    ours, theirs = gain * max(best.words, 1), best_gain * max(story.words, 1)
    if ours != theirs:
        return ours > theirs
    return (story.words, story.rank) < (best.words, best.rank)


def _extend_cover(
    problem: _Problem, selection: _Selection, banned: frozenset[int] = _NOTHING_BARRED
) -> None:
    """Add the story meeting most unmet requirements per word until none can be added."""
    wanted = problem.wanted
    while selection.covered != wanted and len(selection.stories) < problem.limit:
        words_left = problem.budget - selection.words
        best: _Story | None = None
        best_gain = 0
        for group in problem.groups:
            gain = (group.mask & ~selection.covered).bit_count()
            if not gain:
                continue
            story = _usable(group.stories, selection.storytellers, words_left, banned)
            if story is not None and (best is None or _better(gain, story, best_gain, best)):
                best, best_gain = story, gain
        if best is None:
            return
        selection.add(best)


def _redundant(stories: list[_Story], protected: int) -> list[_Story]:
    """Return the stories that can go, longest first, while the rest and `protected` meet all."""
    kept = list(stories)
    dropped: list[_Story] = []
    for story in sorted(stories, key=lambda s: (-s.words, -s.rank)):
        others = protected
        for other in kept:
            if other is not story:
                others |= other.mask
        if not story.mask & ~others:
            kept.remove(story)
            dropped.append(story)
    return dropped


def _replacements(stories: list[_Story], storytellers: set[str]) -> list[_Story]:
    """Return a group's stories worth trying as a swap: its shortest, and its shortest by an
    unused storyteller when that is another story."""
    heads = stories[:1]
    for story in stories:
        if story.storyteller not in storytellers:
            if story is not stories[0]:
                heads.append(story)
            break
    return heads


def _swap(
    problem: _Problem, selection: _Selection, story: _Story, forced: list[_Story]
) -> tuple[tuple[int, int, int, int, int], list[_Story]] | None:
    """Score adding `story` and removing `forced` and whatever that makes redundant."""
    rest = [s for s in selection.stories if s not in forced]
    dropped = forced + _redundant(rest, story.mask)
    words = selection.words + story.words - sum(s.words for s in dropped)
    count = len(selection.stories) + 1 - len(dropped)
    if words > problem.budget or count > problem.limit:
        return None
    met = story.mask
    for kept in rest:
        met |= kept.mask
    return (-met.bit_count(), words, count, story.words, story.rank), dropped


def _improve(problem: _Problem, selection: _Selection) -> bool:
    """Make the best swap: add one story, drop the ones it replaces; say whether it helped.

    A swap also drops the chosen story by the added story's storyteller, and, while some
    requirement is unmet, may drop any one chosen story to make room.
    """
    by_teller = {story.storyteller: story for story in selection.stories}
    optional: list[_Story | None] = [None]
    if selection.covered != problem.wanted:
        optional += selection.stories
    best_key = (*selection.quality(), 0, 0)
    best: tuple[_Story, list[_Story]] | None = None
    for group in problem.groups:
        for story in _replacements(group.stories, selection.storytellers):
            for extra in optional:
                forced = [s for s in (by_teller.get(story.storyteller), extra) if s is not None]
                scored = _swap(problem, selection, story, list(dict.fromkeys(forced)))
                if scored is not None and scored[0] < best_key:
                    best_key, best = scored[0], (story, scored[1])
    if best is None:
        return False
    for story in best[1]:
        selection.remove(story)
    selection.add(best[0])
    return True


def _drop_redundant(selection: _Selection) -> bool:
    """Drop the stories whose requirements the others meet; say whether any went."""
    dropped = _redundant(selection.stories, 0)
    for story in dropped:
        selection.remove(story)
    return bool(dropped)


def _rebuild(problem: _Problem, selection: _Selection) -> _Selection | None:
    """Take each chosen story out in turn and cover again without it; return the best if better."""
    best = selection
    for story in sorted(selection.stories):
        trial = _Selection()
        for kept in selection.stories:
            if kept is not story:
                trial.add(kept)
        _extend_cover(problem, trial, frozenset((story.story_id,)))
        _drop_redundant(trial)
        if trial.quality() < best.quality():
            best = trial
    return None if best is selection else best


def _cover(problem: _Problem) -> _Selection:
    """Cover greedily, then drop, swap and rebuild while any of them helps."""
    selection = _Selection()
    while True:
        _extend_cover(problem, selection)
        if _drop_redundant(selection) or _improve(problem, selection):
            continue
        rebuilt = _rebuild(problem, selection)
        if rebuilt is None:
            return selection
        selection = rebuilt


def _fill(problem: _Problem, selection: _Selection) -> None:
    """Add the shortest story of the voice with fewest stories, up to the most stories asked."""
    theme_mask = (1 << len(problem.themes)) - 1
    voice_mask = problem.wanted & ~theme_mask
    groups = [
        group
        for group in problem.groups
        if (not theme_mask or group.mask & theme_mask)
        and (not voice_mask or group.mask & voice_mask)
    ]
    while len(selection.stories) < problem.limit:
        voice_counts = Counter(story.voice for story in selection.stories)
        theme_counts = [0] * len(problem.themes)
        for story in selection.stories:
            for bit in range(len(problem.themes)):
                theme_counts[bit] += story.mask >> bit & 1
        words_left = problem.budget - selection.words
        best: tuple[tuple[int, int, int, int], _Story] | None = None
        for group in groups:
            story = _usable(group.stories, selection.storytellers, words_left)
            if story is None:
                continue
            key = (
                voice_counts[story.voice] if voice_mask else 0,
                min((theme_counts[bit] for bit in group.theme_bits), default=0),
                story.words,
                story.rank,
            )
            if best is None or key < best[0]:
                best = key, story
        if best is None:
            return
        selection.add(best[1])


def _reading_order(stories: list[_Story], voices: tuple[str, ...]) -> list[int]:
    """Alternate voices as far as possible, each voice's stories shortest first."""
    place = {voice: index for index, voice in enumerate(voices)}
    queues: dict[str, list[_Story]] = {}
    for story in sorted(stories, key=lambda s: (s.words, s.story_id)):
        queues.setdefault(story.voice, []).append(story)
    order: list[int] = []
    last: str | None = None
    while queues:
        candidates = [voice for voice in queues if voice != last] or list(queues)
        voice = min(candidates, key=lambda v: (-len(queues[v]), place.get(v, len(place)), v))
        order.append(queues[voice].pop(0).story_id)
        if not queues[voice]:
            del queues[voice]
        last = voice
    return order
