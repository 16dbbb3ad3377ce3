"""Audio stories through the web: upload, ingest, transcription (a fake model), the linked
transcript page, corrections and the audited audio. The real model runs in tests/transcribe."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.pipeline.models import Job
from storybank.stories.models import Story
from storybank.stories.models import StoryAudio
from storybank.transcribe.engine import Segment
from storybank.transcribe.engine import Transcript
from storybank.transcribe.engine import Word
from tests.conftest import SHARED
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id

AUDIO = SHARED / "data" / "audio"
JFK = AUDIO / "src" / "jfk.flac"

pytestmark = pytest.mark.skipif(not JFK.exists(), reason="shared audio data is not present")


class FakeTranscriber:
    """Stands in for Whisper: reports progress and returns a fixed transcript."""

    def __init__(self) -> None:
        self.progress_seen_in_job: list[float] = []
        self.calls = 0

    def transcribe(self, audio, on_progress=None):
        self.calls += 1
        assert Path(audio).read_bytes()[:4] == b"RIFF"  # the canonical WAV, not the upload
        if on_progress:
            on_progress(0.5)
            job = db.session.scalar(db.select(Job).where(Job.stage == "transcribe"))
            self.progress_seen_in_job.append(job.progress)
            on_progress(1.0)
        words = (
            Word(0.3, 0.6, " And", 0.9),
            Word(0.6, 0.8, " so", 0.9),
            Word(0.8, 1.2, " my", 0.9),
            Word(1.2, 1.6, " fellow", 0.9),
            Word(1.6, 2.3, " Americans,", 0.8),
        )
        second = (Word(3.0, 3.4, " ask", 0.9), Word(3.4, 3.7, " not.", 0.9))
        return Transcript(
            "And so my fellow Americans, ask not.",
            "en",
            11.0,
            (
                Segment(0.3, 2.3, " And so my fellow Americans,", words),
                Segment(3.0, 3.7, " ask not.", second),
            ),
        )


@pytest.fixture
def fake_transcriber() -> FakeTranscriber:
    return FakeTranscriber()


@pytest.fixture
def audio_app(make_app, fake_transcriber):
    return make_app(TRANSCRIBER_FACTORY=lambda: fake_transcriber)


@pytest.fixture
def world(audio_app):
    from tests.factories import Factories

    with audio_app.app_context():
        factories = Factories(audio_app)
        people = {
            "reporter": factories.user("reporter"),
            "facilitator": factories.user("facilitator"),
            "researcher": factories.user("researcher"),
        }
        site = factories.site()
        yield audio_app, people, site


def _form(site_id: int, data: bytes, name: str, **extra: object) -> dict:
    form = {
        "title": "Ask not",
        "story_type": "personal",
        "voice": "staff",
        "site_id": str(site_id),
        "storyteller_pseudonym": "Jack",
        "consent_processing": "y",
        "consent_events": "y",
        "consent_research": "y",
        "consent_given_on": "2026-11-01",
        "submission_key": hashlib.sha256(data).hexdigest()[:32],
        "audio_file": (io.BytesIO(data), name),
    }
    form.update(extra)
    return form


def _login(app, user):
    client = app.test_client()
    response = login(client, user.email)
    assert response.status_code == 302
    return client


def _submit(client, site, data: bytes, name: str = "interview.flac", **extra):
    return post_form(
        client,
        "/stories/new",
        _form(site.id, data, name, **extra),
        content_type="multipart/form-data",
    )


def _media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_URL"].removeprefix("file://"))
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_uploaded_recording_is_kept_transcribed_and_waits_for_review(world, fake_transcriber):
    app, people, site = world
    client = _login(app, people["reporter"])
    data = JFK.read_bytes()
    response = _submit(client, site, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    story = db.session.scalar(db.select(Story))
    assert story.source_kind == "audio"
    assert story.status == "in_review"
    audio = db.session.scalar(db.select(StoryAudio))
    assert audio.original_sha256 == hashlib.sha256(data).hexdigest()
    assert audio.original_size == len(data)
    assert audio.container == "flac"
    assert audio.duration == pytest.approx(11.0, abs=0.1)
    storage = app.extensions["storybank_storage"]
    with storage.open(audio.original_key) as original:
        assert original.read() == data  # the original is kept as it came
    with storage.open(audio.canonical_key) as canonical:
        assert canonical.read(4) == b"RIFF"
    transcript = story.current_text
    assert transcript.origin == "transcript"
    assert transcript.body == "And so my fellow Americans,\nask not."
    assert transcript.timings["words"][0][:4] == [0, 3, 0.3, 0.6]
    assert fake_transcriber.progress_seen_in_job == [0.5]
    jobs = db.session.scalars(db.select(Job).order_by(Job.id))
    stages = [(job.stage, job.status) for job in jobs]
    assert stages == [
        ("ingest", "done"),
        ("transcribe", "done"),
        ("anonymise", "done"),
        ("tag", "done"),
    ]


def test_recording_is_saved_before_any_processing(make_app, fake_transcriber):
    app = make_app(QUEUE_IMMEDIATE=False, TRANSCRIBER_FACTORY=lambda: fake_transcriber)
    from tests.factories import Factories

    with app.app_context():
        factories = Factories(app)
        reporter, site = factories.user("reporter"), factories.site()
        client = _login(app, reporter)
        assert _submit(client, site, JFK.read_bytes()).status_code == 302
        story = db.session.scalar(db.select(Story))
        assert story.status == "received"
        assert story.audio.canonical_key is None
        assert app.extensions["storybank_storage"].exists(story.audio.original_key)
        assert fake_transcriber.calls == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.m4a", "empty"),
        (b"Dear diary, today I went to probation.\n" * 20, "story.mp3", "not a recording"),
        (b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\n/etc/passwd\n", "clip.mp4", "not a recording"),
    ],
    ids=["zero-bytes", "text-renamed-mp3", "hls-renamed-mp4"],
)
def test_a_file_that_is_not_a_recording_is_refused_and_nothing_is_kept(world, data, name, message):
    app, people, site = world
    client = _login(app, people["reporter"])
    response = _submit(client, site, data, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page.lower()
    assert db.session.scalar(db.select(Story)) is None
    assert _media_files(app) == []


def test_a_recording_over_the_size_limit_answers_413_with_the_limit(make_app, fake_transcriber):
    app = make_app(MAX_AUDIO_BYTES=2 * 1024 * 1024, TRANSCRIBER_FACTORY=lambda: fake_transcriber)
    from tests.factories import Factories

    with app.app_context():
        factories = Factories(app)
        reporter, site = factories.user("reporter"), factories.site()
        client = _login(app, reporter)
        data = b"\x00" * (2 * 1024 * 1024 + 10)
        response = _submit(client, site, data, "long.wav")
        assert response.status_code == 413
        assert "2 MB limit" in response.get_data(as_text=True)
        assert db.session.scalar(db.select(Story)) is None
        assert _media_files(app) == []


def test_a_request_far_over_the_limit_answers_413_with_the_limit(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024 * 1024, MAX_AUDIO_BYTES=1024 * 1024)
    from tests.factories import Factories

    with app.app_context():
        factories = Factories(app)
        reporter, site = factories.user("reporter"), factories.site()
        client = _login(app, reporter)
        response = _submit(client, site, b"\x00" * (3 * 1024 * 1024), "huge.wav")
        assert response.status_code == 413
        assert "1 MB" in response.get_data(as_text=True)


def test_a_failed_transcription_keeps_the_recording_shows_why_and_retries(make_app):
    class Broken:
        def transcribe(self, audio, on_progress=None):
            raise MemoryError

    engines = [Broken()]
    app = make_app(TRANSCRIBER_FACTORY=lambda: engines[-1])
    from tests.factories import Factories

    with app.app_context():
        factories = Factories(app)
        reporter, site = factories.user("reporter"), factories.site()
        client = _login(app, reporter)
        _submit(client, site, JFK.read_bytes())
        story = db.session.scalar(db.select(Story))
        assert story.status == "failed"
        assert story.failed_stage == "transcribe"
        assert "MemoryError" in story.failure_reason
        assert app.extensions["storybank_storage"].exists(story.audio.original_key)
        page = client.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)
        assert "MemoryError" in page and "Try “Typing up the recording” again" in page
        engines.append(FakeTranscriber())
        assert post_form(client, f"/stories/{public_id(story.id)}/retry").status_code == 302
        assert story.status == "in_review"
        assert story.current_text.origin == "transcript"


def test_transcript_page_links_words_to_times_and_is_audited(world):
    app, people, site = world
    client = _login(app, people["reporter"])
    _submit(client, site, JFK.read_bytes())
    story = db.session.scalar(db.select(Story))
    page = client.get(f"/stories/{public_id(story.id)}/transcript").get_data(as_text=True)
    assert 'data-start="0.3"' in page and ">Americans,<" in page
    assert f"/stories/{public_id(story.id)}/audio/original" in page
    # One keyboard stop per spoken line (a button), none per word.
    lines = page.count('class="segment"')
    assert lines == 2 and page.count('tabindex="0" role="button"') == lines
    assert '<span class="word" data-start="0.3" data-end="0.6">' in page
    views = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "view_original")
    ).all()
    assert len(views) == 1


def test_audio_is_served_in_ranges_and_audited_once_per_play(world):
    app, people, site = world
    client = _login(app, people["reporter"])
    data = JFK.read_bytes()
    _submit(client, site, data)
    story = db.session.scalar(db.select(Story))
    whole = client.get(f"/stories/{public_id(story.id)}/audio/original")
    assert whole.status_code == 200
    assert whole.data == data
    assert whole.headers["Content-Type"].startswith("audio/flac")
    part = client.get(
        f"/stories/{public_id(story.id)}/audio/original", headers={"Range": "bytes=100-199"}
    )
    assert part.status_code == 206
    assert part.data == data[100:200]
    canonical = client.get(f"/stories/{public_id(story.id)}/audio/canonical")
    assert canonical.headers["Content-Type"] == "audio/wav"
    plays = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "view_original")
    ).all()
    assert sorted(event.details["what"] for event in plays) == ["audio-canonical", "audio-original"]


def test_only_those_who_may_hear_the_original_get_it(world):
    app, people, site = world
    reporter_client = _login(app, people["reporter"])
    _submit(reporter_client, site, JFK.read_bytes())
    story = db.session.scalar(db.select(Story))
    facilitator = _login(app, people["facilitator"])
    assert facilitator.get(f"/stories/{public_id(story.id)}/audio/original").status_code == 200
    researcher = _login(app, people["researcher"])
    for url in (
        f"/stories/{public_id(story.id)}/audio/original",
        f"/stories/{public_id(story.id)}/transcript",
    ):
        assert researcher.get(url).status_code == 404
    story.status = "approved"
    db.session.commit()
    assert facilitator.get(f"/stories/{public_id(story.id)}/audio/original").status_code == 404


def test_corrections_are_new_versions_that_keep_unchanged_word_timings(world):
    app, people, site = world
    reporter = _login(app, people["reporter"])
    _submit(reporter, site, JFK.read_bytes())
    story = db.session.scalar(db.select(Story))
    corrected = "And so, my fellow Americans,\nask not what your country can do."
    response = post_form(
        reporter, f"/stories/{public_id(story.id)}/transcript", {"text": corrected}
    )
    assert response.status_code == 302
    versions = [(text.version, text.origin) for text in story.texts]
    assert versions == [(1, "transcript"), (2, "correction")]
    latest = story.current_text
    assert latest.body == corrected
    timed = {
        latest.body[row[0] : row[1]]: (row[2], row[3], row[5]) for row in latest.timings["words"]
    }
    assert timed["Americans,"] == (1.6, 2.3, 0)
    assert timed["ask"] == (3.0, 3.4, 0)
    assert timed["country"][2] == 1  # added by a person: an estimated time
    assert story.status == "in_review"
    # The reviewer may correct too while it is in review; a researcher may not.
    facilitator = _login(app, people["facilitator"])
    response = post_form(
        facilitator,
        f"/stories/{public_id(story.id)}/transcript",
        {"text": corrected + " Thank you."},
    )
    assert response.status_code == 302
    assert story.current_text.version == 3
    researcher = _login(app, people["researcher"])
    response = post_form(
        researcher, f"/stories/{public_id(story.id)}/transcript", {"text": "changed"}
    )
    assert response.status_code == 404
    story.status = "approved"
    db.session.commit()
    response = post_form(
        reporter, f"/stories/{public_id(story.id)}/transcript", {"text": "changed"}
    )
    assert response.status_code == 403
    assert story.current_text.version == 3


def test_a_returned_recording_is_corrected_beside_its_audio_and_keeps_word_timings(world):
    app, people, site = world
    reporter = _login(app, people["reporter"])
    _submit(reporter, site, JFK.read_bytes())
    story = db.session.scalar(db.select(Story))
    story.status, story.review_note = "returned", "Please check the second line."
    db.session.commit()
    page = reporter.get(f"/stories/{public_id(story.id)}/resubmit").get_data(as_text=True)
    assert "Listen while you correct" in page
    assert f"/stories/{public_id(story.id)}/audio/original" in page
    corrected = "And so my fellow Americans,\nask not what we can do."
    response = post_form(reporter, f"/stories/{public_id(story.id)}/resubmit", {"text": corrected})
    assert response.status_code == 302
    latest = story.current_text
    assert latest.origin == "correction" and latest.body == corrected
    timed = {latest.body[row[0] : row[1]]: (row[2], row[3]) for row in latest.timings["words"]}
    assert timed["Americans,"] == (1.6, 2.3) and timed["ask"] == (3.0, 3.4)
