"""The transcribe stage, and corrections of a transcript by people."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from flask import current_app

from storybank.extensions import db
from storybank.pipeline.stages import ProgressCallback
from storybank.pipeline.stages import StageError
from storybank.stories.models import Story
from storybank.stories.models import StoryText
from storybank.transcribe.engine import TranscriptionEngine
from storybank.transcribe.engine import TranscriptionError
from storybank.transcribe.engine import WhisperSettings
from storybank.transcribe.engine import load_engine
from storybank.transcribe.timing import transcript_to_text

TRANSCRIPT_ORIGIN = "transcript"
_engine_lock = threading.Lock()


def get_transcriber() -> TranscriptionEngine:
    """Return this process's transcriber: loaded once, reused for every job."""
    factory: Callable[[], TranscriptionEngine] | None = current_app.config.get(
        "TRANSCRIBER_FACTORY"
    )
    if factory is not None:
        return factory()
    with _engine_lock:
        return load_engine(WhisperSettings.from_env())


def transcribe_story(story_id: int, report_progress: ProgressCallback) -> None:
    """Transcribe a story's canonical recording into a new text version with word timings.

    Safe to run again: a story that already has its transcript keeps it.
    """
    story = db.session.get(Story, story_id)
    if story is None or story.audio is None:
        raise StageError("The story has no recording to transcribe.")
    if any(text.origin == TRANSCRIPT_ORIGIN for text in story.texts):
        report_progress(1.0)
        return
    if not story.audio.canonical_key:
        raise StageError("The recording was not prepared for transcription. Retry the ingest.")
    storage = current_app.extensions["storybank_storage"]
    try:
        engine = get_transcriber()
        with storage.local_path(story.audio.canonical_key) as path:
            transcript = engine.transcribe(path, on_progress=report_progress)
    except TranscriptionError as error:  # model, settings or audio: say what to do
        raise StageError(error.message) from error
    body, timings = transcript_to_text(transcript)
    story = db.session.get(Story, story_id)
    assert story is not None
    version = (story.current_text.version if story.current_text else 0) + 1
    story.texts.append(
        StoryText(
            version=version,
            origin=TRANSCRIPT_ORIGIN,
            body=body,
            sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
            timings=timings,
        )
    )
    story.word_count = len(body.split())
    db.session.commit()
    report_progress(1.0)
