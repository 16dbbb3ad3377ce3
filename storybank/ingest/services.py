"""Ingest: verify the saved story and derive what later stages need."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from flask import current_app

from storybank.core.storage import Storage
from storybank.extensions import db
from storybank.ingest.audio import AudioRejected
from storybank.ingest.audio import make_canonical_wav
from storybank.ingest.audio import probe_audio
from storybank.pipeline.stages import ProgressCallback
from storybank.pipeline.stages import StageError
from storybank.stories.models import Story
from storybank.stories.models import StoryAudio


def ingest_story(story_id: int, report_progress: ProgressCallback) -> None:
    """Check what was saved and prepare it: count a text's words, or make a recording's
    canonical 16 kHz mono copy. Safe to run again."""
    story = db.session.get(Story, story_id)
    if story is None:
        raise StageError("The story no longer exists.")
    if story.audio is not None:
        _ingest_recording(story.audio, report_progress)
    else:
        _ingest_text(story)
    db.session.commit()
    report_progress(1.0)


def _ingest_text(story: Story) -> None:
    text = story.current_text
    if text is None:
        raise StageError("The story has no text saved. Ask the reporter to submit it again.")
    if hashlib.sha256(text.body.encode("utf-8")).hexdigest() != text.sha256:
        raise StageError(
            "The saved text does not match its checksum, so it may be damaged. Ask an admin to "
            "restore it from a backup."
        )
    story.word_count = len(text.body.split())


def _storage() -> Storage:
    return current_app.extensions["storybank_storage"]


def _sha256_of(storage: Storage, key: str) -> str:
    digest = hashlib.sha256()
    with storage.open(key) as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _ingest_recording(audio: StoryAudio, report_progress: ProgressCallback) -> None:
    storage = _storage()
    if not storage.exists(audio.original_key):
        raise StageError("The uploaded recording is missing from storage. Ask an admin.")
    if _sha256_of(storage, audio.original_key) != audio.original_sha256:
        raise StageError(
            "The saved recording does not match its checksum, so it may be damaged. Ask an admin "
            "to restore it from a backup."
        )
    canonical_key = audio.original_key.rsplit("/", 1)[0] + "/canonical-16k-mono.wav"
    try:
        with storage.local_path(audio.original_key) as original:
            probe = probe_audio(original, max_seconds=current_app.config["MAX_AUDIO_SECONDS"])
            with tempfile.TemporaryDirectory() as folder:
                target = Path(folder) / "canonical.wav"
                seconds = make_canonical_wav(
                    original,
                    target,
                    on_progress=lambda done: report_progress(done * 0.95),
                    max_seconds=current_app.config["MAX_AUDIO_SECONDS"],
                )
                with target.open("rb") as stream:
                    storage.save_stream(canonical_key, stream)
    except AudioRejected as error:
        # The original stays in storage: a person can download it and try again.
        raise StageError(error.message) from error
    audio.canonical_key = canonical_key
    audio.duration = seconds or probe.duration
