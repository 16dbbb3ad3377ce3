"""Redacted audio: accepted redactions and hidden stretches are beeped out; outside review it
plays only when consent allows audio at events; a redaction with no timing blocks the release."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from storybank.anonymise.engine import Detection
from storybank.anonymise.models import Anonymisation
from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories
from tests.web.test_audio_stories import JFK
from tests.web.test_audio_stories import FakeTranscriber
from tests.web.test_audio_stories import _form

pytestmark = pytest.mark.skipif(not JFK.exists(), reason="shared audio data is not present")


class NameFinder:
    """Redacts 'Americans' wherever it appears."""

    def detect(self, text, known_names=(), lists=None):
        start = text.find("Americans")
        return [] if start < 0 else [Detection(start, start + 9, "PERSON", "ner", 0.9, "x")]


@pytest.fixture
def world(make_app):
    app = make_app(TRANSCRIBER_FACTORY=FakeTranscriber, ANONYMISER_FACTORY=NameFinder)
    with app.app_context():
        factories = Factories(app)
        people = {role: factories.user(role) for role in ("reporter", "facilitator", "researcher")}
        site = factories.site()
        yield app, people, site


def _client(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def _upload(app, people, site, **consent) -> Story:
    reporter = _client(app, people["reporter"])
    extra = {"consent_audio_at_events": "y"} if consent.get("audio", True) else {}
    response = post_form(
        reporter,
        "/stories/new",
        _form(site.id, JFK.read_bytes(), "jfk.flac", **extra),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(db.select(Story))


def _samples(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as reader:
        return np.frombuffer(reader.readframes(reader.getnframes()), "<i2"), reader.getframerate()


def test_signed_off_recording_has_the_redacted_words_beeped_and_nothing_else(world):
    app, people, site = world
    story = _upload(app, people, site)
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    anonymisation = db.session.scalar(db.select(Anonymisation))
    assert anonymisation.audio_status == "ready"
    storage = app.extensions["storybank_storage"]
    redacted, rate = _samples(storage.direct_path(anonymisation.redacted_audio_key))
    original, _ = _samples(storage.direct_path(story.audio.canonical_key))
    assert redacted.shape == original.shape
    # "Americans," was heard from 1.6 s to 2.3 s; with 0.15 s padding either side.
    inside = slice(int(1.45 * rate), int(2.45 * rate))
    assert not np.array_equal(redacted[inside], original[inside])
    tone = redacted[int(1.6 * rate) : int(2.3 * rate)].astype(float)
    spectrum = np.abs(np.fft.rfft(tone))
    assert abs(np.argmax(spectrum) * rate / len(tone) - 1000) < 20  # a 1 kHz beep, no speech
    outside = np.r_[0 : int(1.44 * rate), int(2.46 * rate) : len(original)]
    assert np.array_equal(redacted[outside], original[outside])


def test_redacted_audio_plays_only_where_consent_allows_audio_at_events(world):
    app, people, site = world
    story = _upload(app, people, site)
    facilitator = _client(app, people["facilitator"])
    url = f"/stories/{public_id(story.id)}/audio/redacted"
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    # In review, its reviewer hears the copy to check the beeps; its reporter not yet.
    assert facilitator.get(url).status_code == 200
    assert url in facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(
        as_text=True
    )
    assert _client(app, people["reporter"]).get(url).status_code == 404
    post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    response = facilitator.get(url)
    assert response.status_code == 200 and response.data[:4] == b"RIFF"
    assert url in facilitator.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)
    assert _client(app, people["researcher"]).get(url).status_code == 404
    # The original never plays outside review.
    assert facilitator.get(f"/stories/{public_id(story.id)}/audio/original").status_code == 404


def test_without_consent_to_audio_at_events_the_redacted_copy_never_plays(world):
    app, people, site = world
    story = _upload(app, people, site, audio=False)
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    # Its reviewer checks the beeps (they may hear the original too); once approved, nobody.
    assert facilitator.get(f"/stories/{public_id(story.id)}/audio/redacted").status_code == 200
    post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    assert facilitator.get(f"/stories/{public_id(story.id)}/audio/redacted").status_code == 404


def test_a_redaction_that_cannot_be_placed_blocks_the_redacted_audio_and_says_why(world):
    app, people, site = world
    story = _upload(app, people, site)
    story.current_text.timings = {"words": []}
    db.session.commit()
    facilitator = _client(app, people["facilitator"])
    response = post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    assert response.status_code == 302
    anonymisation = db.session.scalar(db.select(Anonymisation))
    assert anonymisation.audio_status == "blocked"
    assert anonymisation.redacted_audio_key is None
    assert "[PERSON 1] could not be placed" in anonymisation.audio_problem
    page = facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    assert "could not be placed" in page
    post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    assert facilitator.get(f"/stories/{public_id(story.id)}/audio/redacted").status_code == 404


def test_a_stretch_the_reviewer_hid_is_beeped_in_real_speech_and_nothing_else_changes(world):
    app, people, site = world
    story = _upload(app, people, site)
    facilitator = _client(app, people["facilitator"])
    # Speech the transcript has no word for: no redaction could ever cover it.
    response = post_form(
        facilitator, f"/review/{public_id(story.id)}/audio/hide", {"start": "0:05", "end": "6.5"}
    )
    assert response.status_code == 302
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    anonymisation = db.session.scalar(db.select(Anonymisation))
    assert anonymisation.audio_status == "ready"
    storage = app.extensions["storybank_storage"]
    redacted, rate = _samples(storage.direct_path(anonymisation.redacted_audio_key))
    original, _ = _samples(storage.direct_path(story.audio.canonical_key))
    hidden = slice(5 * rate, int(6.5 * rate))
    assert np.abs(original[hidden].astype(float)).mean() > 300  # there was speech to hide
    spectrum = np.abs(np.fft.rfft(redacted[hidden].astype(float)))
    assert abs(np.argmax(spectrum) * rate / (len(spectrum) * 2 - 2) - 1000) < 20
    # Outside the hidden stretch and the redacted "Americans," (1.45 s to 2.45 s), every
    # sample is the original's.
    outside = np.r_[
        0 : int(1.44 * rate), int(2.46 * rate) : 5 * rate, int(6.5 * rate) + 1 : len(original)
    ]
    assert np.array_equal(redacted[outside], original[outside])
