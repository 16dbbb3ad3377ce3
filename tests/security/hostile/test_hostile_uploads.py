"""Malicious uploads through the real new-story form: each is refused with a message a person can
act on, leaves no file or folder in media storage and no story or job, and FFmpeg never opens
the file a playlist or list names. A harmless recording with a hostile filename is kept under
a name the app makes up."""

from __future__ import annotations

import html
import io
import itertools
import os
from pathlib import Path

import pytest

from storybank.extensions import db
from storybank.pipeline import services as pipeline_services
from storybank.pipeline.models import Job
from storybank.stories.models import Story
from storybank.stories.models import StoryAudio
from tests.conftest import post_form
from tests.ingest.recordings import FifoSegment
from tests.security.hostile.uploads import hostile_uploads
from tests.security.hostile.uploads import odd_names
from tests.security.hostile.uploads import tone_wav
from tests.security.hostile.uploads import wav_header

_keys = itertools.count(1)
ACCEPTED = "m4a, mp3, ogg, webm, wav or flac"
MESSAGE_STARTS = (
    "This file",
    "The file is empty",
    "This recording is",
    "This video",
    "Storybank found less than a second of sound",
    "Too much of this recording is damaged",
)


@pytest.fixture(scope="module")
def watched_fifo(tmp_path_factory) -> FifoSegment:
    """A named pipe every playlist points at: opening it to read is counted."""
    fifo = FifoSegment(tmp_path_factory.mktemp("watched") / "segment.wav", tone_wav(2.0))
    yield fifo
    fifo.close()


# Every list in the corpus names this path; each test links it to the watched pipe.
WATCHED = f"/tmp/storybank-hostile-{os.getuid()}/segment.wav"
CASES = hostile_uploads(WATCHED)


@pytest.fixture
def media(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def reporter_client(app, client, factories, login_as):
    login_as(factories.user("reporter"))
    return client


def upload_form(site_id: int, data: bytes, filename: str) -> dict:
    return {
        "title": "Recorded at the drop-in",
        "story_type": "personal",
        "voice": "person_on_probation",
        "site_id": str(site_id),
        "storyteller_pseudonym": "Kestrel",
        "consent_processing": "y",
        "consent_given_on": "2026-11-01",
        "submission_key": f"hostile-upload-{next(_keys)}",
        "audio_file": (io.BytesIO(data), filename),
    }


def files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def submit(client, site, data: bytes, filename: str):
    return post_form(
        client,
        "/stories/new",
        upload_form(site.id, data, filename),
        content_type="multipart/form-data",
    )


def counts() -> tuple[int, int, int]:
    def count(model) -> int:
        return db.session.scalar(db.select(db.func.count()).select_from(model))

    return count(Story), count(StoryAudio), count(Job)


@pytest.mark.parametrize(("data", "filename"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_upload_is_refused_and_leaves_nothing(
    reporter_client, factories, media, watched_fifo, monkeypatch, data, filename
):
    site = factories.site()
    before = files_under(media)
    # Put the watched pipe where every list in the corpus points.
    target = Path(WATCHED)
    target.parent.mkdir(exist_ok=True)
    if target.is_symlink() or target.exists():
        target.unlink()
    os.symlink(watched_fifo.path, target)
    opened = watched_fifo.opens
    response = submit(reporter_client, site, data, filename)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400, response.status_code
    assert any(start in page for start in MESSAGE_STARTS), "a message about the file"
    assert ACCEPTED in page or "Upload the recording again" in page, "what to do about it"
    assert counts() == (0, 0, 0)
    assert files_under(media) == before
    assert watched_fifo.opens == opened, "FFmpeg opened a file the upload named"


@pytest.mark.parametrize(("name", "filename"), odd_names(), ids=[n for n, _ in odd_names()])
def test_harmless_recording_with_a_hostile_filename_is_kept_under_a_made_up_name(
    reporter_client, factories, media, monkeypatch, name, filename
):
    # The pipeline is not what is tested here: its jobs stay queued.
    monkeypatch.setattr(pipeline_services, "_enqueue_after_commit", lambda job_ids: None)
    site = factories.site()
    response = submit(reporter_client, site, tone_wav(2.0), filename)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    story = db.session.scalar(db.select(Story))
    key = story.audio.original_key
    stored = files_under(media)
    assert [p for p in stored if (media / p).is_file()] == [key]
    assert key.startswith("audio/") and key.endswith("/original")
    assert ".." not in key and "\x00" not in key and "\u202e" not in key
    assert all((media / p).resolve().is_relative_to(media.resolve()) for p in stored)


def test_a_wav_whose_header_claims_4_gb_is_measured_by_what_it_holds(
    reporter_client, factories, media, monkeypatch
):
    """A data chunk that claims 4 GB over 2 s of sound is a copy cut short, which is kept (as
    any truncated recording is); its length comes from the sound, so nothing expects 37 hours."""
    monkeypatch.setattr(pipeline_services, "_enqueue_after_commit", lambda job_ids: None)
    data = wav_header(0xFFFFFFFF, 0xFFFFFFF0) + tone_wav(2.0)[44:]
    response = submit(reporter_client, factories.site(), data, "story.wav")
    assert response.status_code == 302
    audio = db.session.scalar(db.select(StoryAudio))
    assert 1.9 < audio.duration < 2.1
    assert [p for p in files_under(media) if (media / p).is_file()] == [audio.original_key]


def test_corpus_size():
    print(f"hostile uploads: {len(CASES)} refused, {len(odd_names())} odd filenames kept safely")
    assert len(CASES) >= 40
