"""'Suggest a balanced set': stories covering every chosen theme and voice, one per
storyteller, within a word budget, recorded (seed, codebook version, ids) so it reproduces."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.curate.builder import PackFilters
from storybank.curate.builder import eligible_stories
from storybank.curate.builder import pack_of
from storybank.curate.builder import touch
from storybank.curate.builder import usable_story
from storybank.curate.engine.balance import Candidate
from storybank.curate.engine.balance import suggest_balanced_set
from storybank.curate.models import PackStory
from storybank.curate.models import PackSuggestion
from storybank.extensions import db
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Voice
from storybank.tag.models import StoryTheme
from storybank.tag.services import current_codebook

MAX_SEED = 1_000_000


def storyteller_key(reporter_id: int, pseudonym: str, name_on_form: str | None) -> str:
    """Who told a story, as an opaque key: the name on the consent form, else the reporter's
    pseudonym for them (two reporters' pseudonyms for one person cannot be matched)."""
    if name_on_form and name_on_form.strip():
        return "form:" + " ".join(name_on_form.casefold().split())
    return f"reporter:{reporter_id}:" + " ".join(pseudonym.casefold().split())


def load_candidates() -> list[Candidate]:
    """Every story that may go in a pack now, as the balancer sees it (two queries)."""
    eligible = eligible_stories(PackFilters()).subquery()
    first_consent = (
        select(ConsentRecord.storyteller_name)
        .where(ConsentRecord.story_id == eligible.c.id)
        .order_by(ConsentRecord.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            eligible.c.id,
            eligible.c.reporter_id,
            eligible.c.storyteller_pseudonym,
            eligible.c.voice,
            eligible.c.word_count,
            first_consent,
        )
    ).all()
    themes: dict[int, set[str]] = {}
    confirmed = select(StoryTheme.story_id, StoryTheme.theme_key).where(
        StoryTheme.decision == "confirmed", StoryTheme.story_id.in_(select(eligible.c.id))
    )
    for story_id, key in db.session.execute(confirmed):
        themes.setdefault(story_id, set()).add(key)
    return [
        Candidate(
            story_id=row[0],
            storyteller=storyteller_key(row[1], row[2], row[5]),
            voice=row[3],
            themes=frozenset(themes.get(row[0], ())),
            words=row[4] or 0,
        )
        for row in rows
    ]


def suggest_pack_stories(
    actor: User,
    event_id: int,
    word_budget: int,
    voices: list[str] | None = None,
    seed: int | None = None,
    max_stories: int | None = None,
) -> PackSuggestion:
    """Propose a balanced set for the pack's themes and record how to reproduce it."""
    _, pack = pack_of(actor, event_id)
    if word_budget < 1:
        raise InvalidInput("Give a word budget of at least 1.", field="word_budget")
    voices = voices if voices is not None else [voice.value for voice in Voice]
    if not voices or set(voices) - {voice.value for voice in Voice}:
        raise InvalidInput("Choose at least one voice group.", field="voices")
    if max_stories is not None and max_stories < 1:
        raise InvalidInput("Give the most stories as 1 or more, or leave it empty.", "max_stories")
    if seed is not None and not 0 <= seed < 2**31:
        raise InvalidInput("Give the seed as a whole number from 0 to 2147483647.", field="seed")
    seed = seed if seed is not None else secrets.randbelow(MAX_SEED) + 1
    chosen = suggest_balanced_set(
        load_candidates(), pack.theme_keys, voices, word_budget, seed, max_stories
    )
    suggestion = PackSuggestion(
        pack_id=pack.id,
        seed=seed,
        codebook_version=current_codebook().version,
        theme_keys=list(pack.theme_keys),
        voices=list(voices),
        word_budget=word_budget,
        max_stories=max_stories,
        story_ids=list(chosen.story_ids),
        uncovered=[*chosen.uncovered_themes, *chosen.uncovered_voices],
        created_by_id=actor.id,
    )
    db.session.add(suggestion)
    db.session.flush()
    record_event(
        AuditAction.PACK_SUGGESTED,
        actor_id=actor.id,
        target_type="pack",
        target_id=pack.id,
        count=len(chosen.story_ids),
    )
    db.session.commit()
    return suggestion


def latest_suggestion(actor: User, event_id: int) -> PackSuggestion | None:
    """Return the pack's newest suggestion not yet accepted, if any."""
    _, pack = pack_of(actor, event_id)
    return db.session.scalar(
        select(PackSuggestion)
        .where(PackSuggestion.pack_id == pack.id, PackSuggestion.accepted_at.is_(None))
        .order_by(PackSuggestion.id.desc())
    )


def accept_suggestion(actor: User, event_id: int, suggestion_id: int) -> int:
    """Add the suggested stories (those still usable) to the pack; return how many were added."""
    _, pack = pack_of(actor, event_id)
    suggestion = db.session.get(PackSuggestion, suggestion_id)
    if suggestion is None or suggestion.pack_id != pack.id:
        raise NotFound
    present = {entry.story_id for entry in pack.entries}
    position = max((e.position for e in pack.entries), default=0)
    added = 0
    for story_id in suggestion.story_ids:
        if story_id in present:
            continue
        try:
            story = usable_story(story_id)
        except (InvalidInput, NotFound):
            continue  # its consent or status changed since the suggestion was made
        position += 1
        reason = (
            f"Part of a balanced set (seed {suggestion.seed}, "
            f"codebook version {suggestion.codebook_version})."
        )
        pack.entries.append(
            PackStory(story_id=story.id, position=position, reason=reason, added_by_id=actor.id)
        )
        added += 1
    suggestion.accepted_at = utcnow()
    touch(actor, pack, "suggestion_accepted")
    db.session.commit()
    return added
