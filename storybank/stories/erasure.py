"""The stories package's part of erasure: where a story's files live in media storage."""

from __future__ import annotations

from sqlalchemy import select

from storybank.extensions import db
from storybank.stories.models import StoryAudio


def media_prefixes(story_id: int) -> list[str]:
    """Return the folder of the story's recording: original, canonical and beeped copies."""
    key = db.session.scalar(select(StoryAudio.original_key).where(StoryAudio.story_id == story_id))
    if not key or "/" not in key:
        return [key] if key else []
    return [key.rsplit("/", 1)[0] + "/"]
