"""Consent changes and erasure: narrow a story's uses, withdraw it, erase it for good."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import inspect
from sqlalchemy import select

from storybank.accounts.models import User
from storybank.core import erasure
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.consent_hooks import run_consent_hooks
from storybank.core.db import scrub_sqlite
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.extensions import db
from storybank.privacy import policy
from storybank.privacy.models import StoryTombstone
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus
from storybank.stories.queries import get_story

log = logging.getLogger(__name__)

USES = ("events", "research", "audio_at_events")


@dataclass(frozen=True)
class ConsentUses:
    """Which uses the storyteller still agrees to."""

    events: bool
    research: bool
    audio_at_events: bool


def consent_story(actor: User, story_id: int) -> Story:
    """Return a story whose consent this user may change (404 if unseen, else 403)."""
    story = get_story(actor, story_id)
    if not policy.can_change_consent(actor, story):
        raise NotAllowed("Only the story's reporter or an admin can change its consent.")
    return story


def change_consent(actor: User, story_id: int, uses: ConsentUses) -> ConsentRecord:
    """Narrow the uses a story may be put to: a new consent record, the old ones kept.

    Widening needs the storyteller's fresh consent on a new form, so it is refused here.
    """
    story = get_story(actor, story_id)
    if not policy.can_change_consent(actor, story):
        raise NotAllowed("Only the story's reporter or an admin can change its consent.")
    current = story.current_consent
    if current is None:
        raise NotFound
    wanted = {use: bool(getattr(uses, use)) for use in USES}
    if wanted["audio_at_events"] and not wanted["events"]:
        wanted["audio_at_events"] = False
    widened = [use for use in USES if wanted[use] and not getattr(current, use)]
    if widened:
        raise InvalidInput(
            "Consent can only be narrowed here. To add a use, the storyteller gives consent "
            "again on a new form; ask an admin.",
            field=widened[0],
        )
    if all(wanted[use] == getattr(current, use) for use in USES):
        raise InvalidInput("Nothing changed. Untick a use to stop it.")
    record = ConsentRecord(
        story_id=story.id,
        processing=current.processing,
        given_on=current.given_on,
        storyteller_name=current.storyteller_name,
        recorded_by_id=actor.id,
        **wanted,
    )
    db.session.add(record)
    db.session.flush()
    db.session.expire(story, ["consents"])
    run_consent_hooks(story.id, actor.id)
    record_event(
        AuditAction.CONSENT_CHANGED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        uses=",".join(use for use in USES if wanted[use]) or "none",
    )
    db.session.commit()
    db.session.refresh(story)
    return record


def withdraw_consent(actor: User, story_id: int, confirmed: bool) -> StoryTombstone:
    """Withdraw all consent: the story and everything made from it are erased for good."""
    story = get_story(actor, story_id)
    if not policy.can_withdraw_consent(actor, story):
        raise NotAllowed("Only the story's reporter or an admin can withdraw its consent.")
    if not confirmed:
        raise InvalidInput(
            "Tick the box to confirm. Withdrawal erases the story and cannot be undone.",
            field="confirm",
        )
    record_event(
        AuditAction.CONSENT_WITHDRAWN, actor_id=actor.id, target_type="story", target_id=story.id
    )
    db.session.commit()
    return _erase(actor, story_id, "consent_withdrawn")


def erase_story(actor: User, story_id: int) -> StoryTombstone:
    """Erase a story and every copy and derived artefact, leaving a tombstone. Idempotent."""
    if not policy.can_erase_story(actor):
        get_story(actor, story_id)  # a story they may not see stays a 404
        raise NotAllowed("Only an admin can erase a story.")
    return _erase(actor, story_id, "admin_erasure")


def _tombstone(story_id: int) -> StoryTombstone | None:
    return db.session.scalar(select(StoryTombstone).where(StoryTombstone.story_id == story_id))


def _begin(actor: User, story_id: int, reason: str) -> StoryTombstone:
    """Write the tombstone first and take the story out of every list, in one commit."""
    tombstone = _tombstone(story_id)
    story = db.session.get(Story, story_id)
    if tombstone is None and story is None:
        raise NotFound
    prefixes = erasure.media_prefixes(story_id) if story is not None else []
    if tombstone is None:
        tombstone = StoryTombstone(
            story_id=story_id,
            story_created_at=story.created_at if story else None,
            reason=reason,
            erased_by_id=actor.id,
        )
        db.session.add(tombstone)
    tombstone.media_prefixes = sorted(set(tombstone.media_prefixes or []) | set(prefixes))
    if story is not None:
        story.status = StoryStatus.WITHDRAWN.value
    db.session.commit()
    return tombstone


def delete_story_rows(story_id: int) -> None:
    """Delete the story's row and every row that points at it (children first)."""
    existing = set(
        inspect(db.session.connection()).get_table_names()
    )  # a table not made holds nothing
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in existing:
            continue
        for key in table.foreign_keys:
            if key.column.table.name == "stories" and table.name != "stories":
                db.session.execute(delete(table).where(key.parent == story_id))
    db.session.execute(delete(Story.__table__).where(Story.__table__.c.id == story_id))


def sweep_story_files(story_id: int) -> int:
    """Delete any file still stored for an erased story (a late job may have written one)."""
    tombstone = _tombstone(story_id)
    if tombstone is None:
        return 0
    storage = current_app.extensions["storybank_storage"]
    return sum(storage.delete_prefix(prefix) for prefix in tombstone.media_prefixes or [])


def finish_erasure(tombstone: StoryTombstone, actor_id: int | None) -> None:
    """Delete the story's files, everything made from it and its rows, and mark the tombstone.

    Idempotent: `erase_story` and a restore's re-applied erasure (actor None) both end here.
    """
    story_id = tombstone.story_id
    sweep_story_files(story_id)
    erasure.run_row_hooks(story_id)
    delete_story_rows(story_id)
    if tombstone.erased_at is None:
        tombstone.erased_at = utcnow()
        record_event(
            AuditAction.STORY_ERASED,
            actor_id=actor_id,
            target_type="story",
            target_id=story_id,
            reason_code=tombstone.reason,
        )
    db.session.commit()


def _erase(actor: User, story_id: int, reason: str) -> StoryTombstone:
    started = time.perf_counter()
    tombstone = _begin(actor, story_id, reason)
    finish_erasure(tombstone, actor.id)
    if not scrub_sqlite(db.engine):
        log.warning("story %s erased; the SQLite WAL was busy and is emptied later", story_id)
    log.info("story %s erased in %.3f s", story_id, time.perf_counter() - started)
    tombstone = _tombstone(story_id)
    assert tombstone is not None
    return tombstone
