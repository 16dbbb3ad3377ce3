"""The storyteller's check: show the signed-off anonymised story, record the answer (audited)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.anonymise.models import AudioRedactionStatus
from storybank.anonymise.records import undo_sign_off
from storybank.anonymise.services import released_text_of
from storybank.check import policy
from storybank.check.models import CheckDecision
from storybank.check.models import StorytellerCheck
from storybank.check.status import CheckStatus
from storybank.check.status import check_status
from storybank.core.audit import AuditAction
from storybank.core.audit import AuditEvent
from storybank.core.audit import record_event
from storybank.core.authz import Actor
from storybank.core.db import utcnow
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.stories.queries import get_story

NOTE_LIMIT = 2000
# The same window as for originals (stories.services.AUDIO_PLAY_WINDOW); not imported from
# there, because other stages import only stories.queries.
AUDIO_PLAY_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class CheckPage:
    """What the reporter shows the storyteller."""

    story: Story
    status: CheckStatus
    text: str | None  # exactly what others will read; None until signed off
    audio: bool  # a beeped copy is ready to play
    audio_problem: str | None  # why a recording has no beeped copy


def show_storyteller_check(actor: User, story_id: int) -> CheckPage:
    """Return the signed-off anonymised story, as others will read and hear it."""
    story = get_story(actor, story_id)
    if not policy.can_show_storyteller_check(actor, story):
        raise NotAllowed("Only the story's reporter shows it to the storyteller, during review.")
    status = check_status(story)
    anonymisation = status.anonymisation
    audio_ready = bool(
        story.is_audio
        and status.signed_off
        and anonymisation is not None
        and anonymisation.audio_status == AudioRedactionStatus.READY.value
        and anonymisation.redacted_audio_key
    )
    problem = anonymisation.audio_problem if anonymisation and status.signed_off else None
    return CheckPage(story, status, released_text_of(story), audio_ready, problem)


def offers_storyteller_check(actor: User, story: Story) -> bool:
    """Whether this user may show the storyteller the story now."""
    return policy.can_show_storyteller_check(actor, story)


def storyteller_answer(actor: User, story: Story) -> CheckStatus | None:
    """Return the check's status for the story's reporter and reviewers; None for others."""
    if not policy.can_see_storyteller_answer(actor, story):
        return None
    return check_status(story)


def _answerable(
    actor: User, story_id: int, shown: str, allowed: Callable[[Actor | None, Story], bool]
) -> tuple[Story, CheckStatus]:
    story = get_story(actor, story_id)
    if not allowed(actor, story):
        raise NotAllowed("Only the story's reporter records the storyteller's answer.")
    status = check_status(story)
    if not status.signed_off:
        raise Conflict(
            "The redactions are not signed off, so there is nothing final to show the "
            "storyteller yet. Come back when the reviewer has signed them off."
        )
    if shown != status.stamp:
        raise Conflict(
            "The anonymised story changed while you had it open. Show the storyteller the new "
            "version, then record their answer."
        )
    return story, status


def _add_answer(
    actor: User, story: Story, status: CheckStatus, decision: CheckDecision, note: str | None
) -> StorytellerCheck:
    anonymisation = status.anonymisation
    assert anonymisation is not None and anonymisation.signed_off_at is not None
    answer = StorytellerCheck(
        story_id=story.id,
        text_version_id=anonymisation.text_version_id,
        signed_off_at=anonymisation.signed_off_at,
        decision=decision.value,
        note=note,
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    db.session.add(answer)
    return answer


def record_storyteller_agreement(actor: User, story_id: int, shown: str) -> StorytellerCheck:
    """Record that the storyteller has seen the anonymised story and agrees (audited)."""
    story, status = _answerable(actor, story_id, shown, policy.can_record_storyteller_agreement)
    answer = _add_answer(actor, story, status, CheckDecision.AGREED, None)
    record_event(
        AuditAction.STORYTELLER_AGREED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        version=story.current_text.version if story.current_text else None,
    )
    db.session.commit()
    return answer


def ask_storyteller_changes(actor: User, story_id: int, shown: str, note: str) -> StorytellerCheck:
    """Send the story back to its reviewer with what the storyteller wants changed (audited).

    The sign-off is undone, so the reviewer signs off again and the storyteller checks again.
    """
    story, status = _answerable(actor, story_id, shown, policy.can_ask_storyteller_changes)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            "Write what the storyteller wants changed, so the reviewer knows what to do.",
            field="note",
        )
    if len(note) > NOTE_LIMIT:
        raise InvalidInput(f"Keep the note under {NOTE_LIMIT} characters.", field="note")
    answer = _add_answer(actor, story, status, CheckDecision.CHANGES_ASKED, note)
    assert status.anonymisation is not None
    undo_sign_off(status.anonymisation)
    record_event(
        AuditAction.STORYTELLER_ASKED_CHANGES,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        version=story.current_text.version if story.current_text else None,
    )
    db.session.commit()
    return answer


def open_storyteller_check_audio(actor: User, story_id: int, remote_addr: str | None = None) -> str:
    """Return the beeped copy's storage key for the reporter's check, audited once per play.

    As for originals, one event covers every fetch by this user in AUDIO_PLAY_WINDOW, so no
    fetch goes unaudited, however the player asks for it.
    """
    story = get_story(actor, story_id)
    if not policy.can_hear_storyteller_check_audio(actor, story):
        raise NotFound
    page = show_storyteller_check(actor, story_id)
    anonymisation = page.status.anonymisation
    if not page.audio or anonymisation is None or not anonymisation.redacted_audio_key:
        raise NotFound
    recent = db.session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.action == AuditAction.STORYTELLER_CHECK_HEARD.value,
            AuditEvent.actor_id == actor.id,
            AuditEvent.target_type == "story",
            AuditEvent.target_id == story.id,
            AuditEvent.at >= utcnow() - AUDIO_PLAY_WINDOW,
        )
        .limit(1)
    )
    if recent is None:
        record_event(
            AuditAction.STORYTELLER_CHECK_HEARD,
            actor_id=actor.id,
            target_type="story",
            target_id=story.id,
            remote_addr=remote_addr,
            what="audio-redacted",
        )
        db.session.commit()
    return anonymisation.redacted_audio_key
