"""Re-apply, after a restore, every erasure that the restored database does not know is done."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.backup.erasure_log import ErasureEntry
from storybank.core import erasure
from storybank.core.db import scrub_sqlite
from storybank.core.db import utcnow
from storybank.extensions import db
from storybank.privacy.models import StoryTombstone
from storybank.privacy.services import finish_erasure
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus

log = logging.getLogger(__name__)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _user_exists(user_id: int | None) -> bool:
    return user_id is not None and db.session.get(User, user_id) is not None


def _needs_erasing(story_id: int) -> bool:
    tombstone = db.session.scalar(select(StoryTombstone).where(StoryTombstone.story_id == story_id))
    story = db.session.get(Story, story_id)
    return story is not None or tombstone is None or tombstone.erased_at is None


def reapply_erasure(entry: ErasureEntry) -> None:
    """Erase the story again from its logged tombstone: files, rows, index; idempotent.

    It ends in the same steps as `privacy.services.erase_story`, with no acting user.
    """
    story_id = entry.story_id
    story = db.session.get(Story, story_id)
    tombstone = db.session.scalar(select(StoryTombstone).where(StoryTombstone.story_id == story_id))
    prefixes = set(entry.media_prefixes)
    if story is not None:
        prefixes |= set(erasure.media_prefixes(story_id))
        story.status = StoryStatus.WITHDRAWN.value
    if tombstone is None:
        tombstone = StoryTombstone(
            story_id=story_id,
            story_created_at=_moment(entry.story_created_at),
            reason=entry.reason,
            started_at=_moment(entry.started_at) or utcnow(),
            erased_by_id=entry.erased_by_id if _user_exists(entry.erased_by_id) else None,
        )
        db.session.add(tombstone)
    tombstone.media_prefixes = sorted(prefixes | set(tombstone.media_prefixes or []))
    db.session.commit()
    finish_erasure(tombstone, actor_id=None)


def reapply_erasures(entries: list[ErasureEntry]) -> list[int]:
    """Re-apply each logged erasure the restored database lacks; return the story ids."""
    done = []
    for entry in sorted(entries, key=lambda item: item.story_id):
        if _needs_erasing(entry.story_id):
            reapply_erasure(entry)
            done.append(entry.story_id)
            log.info("restore: erasure of story %s re-applied", entry.story_id)
    db.session.rollback()
    if done and not scrub_sqlite(db.engine):
        log.warning("restore: the SQLite WAL was busy; erased pages are emptied later")
    return done
