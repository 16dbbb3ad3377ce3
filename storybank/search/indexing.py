"""Keep the search index in step with the stories: approved, research consent, released text.

`index_story` is the one rule: a story is in the index exactly when it is approved, its
current consent allows research, and its anonymised text is signed off. Every hook (approval,
a theme decision, a consent change, erasure) calls it, so no path can leave a stale row.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import delete
from sqlalchemy import select

from storybank.anonymise.services import released_text
from storybank.core.db import utcnow
from storybank.extensions import db
from storybank.search.codec import facet_codec
from storybank.search.models import SearchDocument
from storybank.search.query import length_band
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus
from storybank.tag.services import tags_for_stories

log = logging.getLogger(__name__)


def may_be_searched(story: Story) -> bool:
    """Whether researchers may find this story: approved, with consent for research."""
    consent = story.current_consent
    return (
        story.status == StoryStatus.APPROVED.value
        and consent is not None
        and consent.processing
        and consent.research
    )


def index_story(story_id: int) -> bool:
    """Add, refresh or remove the story's index row; return whether it is indexed now.

    Runs in the caller's transaction; the caller commits.
    """
    story = db.session.get(Story, story_id)
    released = released_text(story) if story is not None and may_be_searched(story) else None
    if story is None or released is None:
        db.session.execute(delete(SearchDocument).where(SearchDocument.story_id == story_id))
        return False
    themes = sorted(tags_for_stories([story.id])[story.id])
    approved = (story.approved_at or story.updated_at).date()
    words = len(released.text.split())
    row = db.session.get(SearchDocument, story.id) or SearchDocument(story_id=story.id)
    row.text_version_id = released.text_version_id
    row.body = released.text
    row.site_id = story.site_id
    row.voice = story.voice
    row.story_type = story.story_type
    row.source = "audio" if story.is_audio else "text"
    row.approved_on = approved
    row.word_count = words
    row.themes = "," + ",".join(themes) + ("," if themes else "")
    row.facet_code = facet_codec().encode(
        story.site_id, story.voice, story.story_type, row.source, approved.year,
        length_band(words), themes,
    )  # fmt: skip
    row.indexed_at = utcnow()
    db.session.add(row)
    return True


def story_changed(story_id: int) -> None:
    """Story hook: approval or a theme decision."""
    index_story(story_id)


def story_consent_changed(story_id: int, actor_id: int | None) -> None:
    """Consent hook: a narrowed consent leaves search at once; a widened one joins it."""
    index_story(story_id)


def forget_story(story_id: int) -> None:
    """Erasure hook: remove the row (its trigger removes the words from the FTS index)."""
    db.session.execute(delete(SearchDocument).where(SearchDocument.story_id == story_id))


def rebuild_index(batch: int = 200) -> tuple[int, float]:
    """Re-index every approved story, in batches; return (stories indexed, seconds)."""
    started = time.perf_counter()
    indexed = 0
    last_id = 0
    stale = select(SearchDocument.story_id).where(
        ~SearchDocument.story_id.in_(
            select(Story.id).where(Story.status == StoryStatus.APPROVED.value)
        )
    )
    for story_id in list(db.session.scalars(stale)):
        forget_story(story_id)
    while True:
        ids = list(
            db.session.scalars(
                select(Story.id)
                .where(Story.status == StoryStatus.APPROVED.value, Story.id > last_id)
                .order_by(Story.id)
                .limit(batch)
            )
        )
        if not ids:
            break
        indexed += sum(index_story(story_id) for story_id in ids)
        db.session.commit()
        last_id = ids[-1]
    seconds = time.perf_counter() - started
    log.info("search index rebuilt: %d stories in %.1f s", indexed, seconds)
    return indexed, seconds
