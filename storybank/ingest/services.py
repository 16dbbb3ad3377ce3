"""Ingest: verify the saved story and derive what later stages need."""

from __future__ import annotations

import hashlib

from storybank.extensions import db
from storybank.pipeline.stages import ProgressCallback
from storybank.pipeline.stages import StageError
from storybank.stories.models import Story


def ingest_story(story_id: int, report_progress: ProgressCallback) -> None:
    """Check the stored text against its hash and count its words. Safe to run again."""
    story = db.session.get(Story, story_id)
    if story is None:
        raise StageError("The story no longer exists.")
    text = story.current_text
    if text is None:
        raise StageError("The story has no text saved. Ask the reporter to submit it again.")
    if hashlib.sha256(text.body.encode("utf-8")).hexdigest() != text.sha256:
        raise StageError(
            "The saved text does not match its checksum, so it may be damaged. Ask an admin to "
            "restore it from a backup."
        )
    story.word_count = len(text.body.split())
    db.session.commit()
    report_progress(1.0)
