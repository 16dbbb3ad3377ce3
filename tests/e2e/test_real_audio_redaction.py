"""The real path on real audio: Whisper tiny.en transcribes a spoken story, spaCy and the rules
propose redactions, a reviewer signs off, and the names can no longer be heard: transcribing the
redacted copy again finds none of them."""

from __future__ import annotations

import io
import re

import pytest

from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import Redaction
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.transcribe.engine import WhisperSettings
from storybank.transcribe.engine import load_engine
from tests.conftest import SHARED
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories

STORY_AUDIO = SHARED / "data" / "audio" / "derived" / "tts_espeak_story.wav"
NAMES = ("daniel", "hughes", "sarah", "thompson")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not STORY_AUDIO.exists(), reason="shared audio data is not present"),
]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_spoken_names_are_redacted_in_text_and_silenced_in_audio(make_app):
    app = make_app()  # the real transcriber and the real anonymiser
    with app.app_context():
        factories = Factories(app)
        reporter, facilitator = factories.user("reporter"), factories.user("facilitator")
        site = factories.site()
        client = app.test_client()
        login(client, reporter.email)
        response = post_form(
            client,
            "/stories/new",
            {
                "title": "Released in March",
                "story_type": "personal",
                "voice": "person_on_probation",
                "site_id": str(site.id),
                "storyteller_pseudonym": "D",
                "consent_processing": "y",
                "consent_events": "y",
                "consent_audio_at_events": "y",
                "consent_given_on": "2026-11-01",
                "submission_key": "real-audio",
                "audio_file": (io.BytesIO(STORY_AUDIO.read_bytes()), "story.wav"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        story = db.session.scalar(db.select(Story))
        assert story.status == "in_review", story.failure_reason
        transcript = story.current_text.body
        assert {"daniel", "hughes", "sarah", "thompson"} <= _words(transcript)
        redacted_words = {
            word
            for r in db.session.scalars(db.select(Redaction))
            for word in _words(transcript[r.start : r.end])
        }
        assert set(NAMES) <= redacted_words

        reviewer = app.test_client()
        login(reviewer, facilitator.email)
        assert (
            post_form(reviewer, f"/review/{public_id(story.id)}/redactions/sign-off").status_code
            == 302
        )
        anonymisation = db.session.scalar(db.select(Anonymisation))
        assert anonymisation.audio_status == "ready", anonymisation.audio_problem

        storage = app.extensions["storybank_storage"]
        engine = load_engine(WhisperSettings.from_env())
        heard = engine.transcribe(storage.direct_path(anonymisation.redacted_audio_key)).text
        assert not set(NAMES) & _words(heard), heard
        # The rest of the story is still there to hear.
        kept = _words(transcript) - redacted_words
        assert len(kept & _words(heard)) / len(kept) > 0.8
