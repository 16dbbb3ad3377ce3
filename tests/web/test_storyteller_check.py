"""The storyteller's check: after sign-off the reporter shows the storyteller exactly what
others will read and hear, and records that they agree or what they want changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storybank.anonymise.engine import Detection
from storybank.anonymise.models import Anonymisation
from storybank.check.models import StorytellerCheck
from storybank.config import ConfigurationError
from storybank.config import build_config
from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.stories.models import Site
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories
from tests.web.test_audio_stories import JFK
from tests.web.test_audio_stories import FakeTranscriber
from tests.web.test_audio_stories import _form

STORY = (
    "Marisol and I painted the hall at Larkfield Mews on Tuesday. "
    "Afterwards Marisol wrote her number, 07700 900462, on the lid of a paint tin."
)
_STAMP = re.compile(r'name="shown" type="hidden" value="([^"]*)"')


class WordFinder:
    """Finds this file's identifiers by their words (the real detector runs in tests/anonymise)."""

    WORDS = (("Marisol", "PERSON"), ("Larkfield Mews", "LOCATION"), ("07700 900462", "PHONE"))

    def detect(self, text, known_names=(), lists=None):
        found = [
            Detection(match.start(), match.end(), label, "ner", 0.9, word)
            for word, label in self.WORDS
            for match in re.finditer(re.escape(word), text)
        ]
        found += [
            Detection(match.start(), match.end(), "PERSON", "ner", 0.9, "Americans")
            for match in re.finditer("Americans", text)
        ]
        return sorted(found, key=lambda d: d.start)


def _world(make_app, **settings):
    app = make_app(ANONYMISER_FACTORY=WordFinder, TRANSCRIBER_FACTORY=FakeTranscriber, **settings)
    context = app.app_context()
    context.push()
    factories = Factories(app)
    people = {role: factories.user(role) for role in ("reporter", "facilitator", "admin")}
    factories.site()
    return app, factories, people, context


@pytest.fixture
def world(make_app):
    app, factories, people, context = _world(make_app, STORYTELLER_CHECK="required")
    yield app, factories, people
    context.pop()


def _client(app, user):
    client = app.test_client()
    response = login(client, user.email)
    assert response.status_code == 302
    return client


def _stamp(page: str) -> str:
    match = _STAMP.search(page)
    assert match, "the check page names the sign-off it shows"
    return match.group(1)


def _agree(reporter, story_id: int):
    page = reporter.get(f"/stories/{public_id(story_id)}/check").get_data(as_text=True)
    return post_form(
        reporter, f"/stories/{public_id(story_id)}/check/agree", {"shown": _stamp(page)}
    )


def _actions() -> list[str]:
    return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_the_setting_waits_for_the_storyteller_by_default_and_refuses_a_typo(monkeypatch, tmp_path):
    monkeypatch.delenv("STORYBANK_STORYTELLER_CHECK", raising=False)
    assert build_config(tmp_path, tmp_path)["STORYTELLER_CHECK"] == "required"
    monkeypatch.setenv("STORYBANK_STORYTELLER_CHECK", "Optional")
    assert build_config(tmp_path, tmp_path)["STORYTELLER_CHECK"] == "optional"
    monkeypatch.setenv("STORYBANK_STORYTELLER_CHECK", "sometimes")
    with pytest.raises(ConfigurationError, match="required"):
        build_config(tmp_path, tmp_path)


def test_reporter_shows_the_anonymised_text_the_storyteller_agrees_and_approval_follows(world):
    app, factories, people = world
    story = factories.story(people["reporter"], signed_off=False, text=STORY)
    reporter = _client(app, people["reporter"])
    facilitator = _client(app, people["facilitator"])
    # Before sign-off there is nothing final to show.
    page = reporter.get(f"/stories/{public_id(story.id)}/check").get_data(as_text=True)
    assert "Not ready yet" in page and "Marisol" not in page
    assert (
        "When the reviewer has hidden names" in reporter.get(f"/stories/{public_id(story.id)}").text
    )

    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    assert "Show the storyteller" in reporter.get(f"/stories/{public_id(story.id)}").text
    page = reporter.get(f"/stories/{public_id(story.id)}/check").get_data(as_text=True)
    assert "[PERSON 1] and I painted the hall at [PLACE 1] on Tuesday." in page
    assert "[PERSON 1] wrote her number, [PHONE]," in page
    assert "Marisol" not in page and "Larkfield" not in page and "900462" not in page

    # Approval waits, and says why in plain words; the review page says so too.
    refused = post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    assert refused.status_code == 409
    assert "storyteller has not yet seen and agreed" in refused.text
    review = facilitator.get(f"/review/{public_id(story.id)}").get_data(as_text=True)
    assert "Waiting for the storyteller" in review
    assert 'disabled aria-describedby="approve-blocked"' in review
    assert "Approve is not available yet: wait for the storyteller to agree." in review

    assert _agree(reporter, story.id).status_code == 302
    answer = db.session.scalar(db.select(StorytellerCheck))
    assert answer.decision == "agreed" and answer.decided_by_id == people["reporter"].id
    assert "storyteller_agreed" in _actions()
    assert "The storyteller agreed" in facilitator.get(f"/review/{public_id(story.id)}").text
    assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 302
    db.session.refresh(story)
    assert story.status == "approved"


def test_storyteller_sends_it_back_the_reviewer_sees_the_note_and_checks_again(world):
    app, factories, people = world
    story = factories.story(people["reporter"], signed_off=False, text=STORY)
    reporter = _client(app, people["reporter"])
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    page = reporter.get(f"/stories/{public_id(story.id)}/check").get_data(as_text=True)
    note = "Please hide the day of the week as well, people know that rota."
    response = post_form(
        reporter,
        f"/stories/{public_id(story.id)}/check/changes",
        {"shown": _stamp(page), "note": note},
    )
    assert response.status_code == 302
    # Back to review: the sign-off is undone, and the note reaches the reviewer only.
    anonymisation = db.session.scalar(db.select(Anonymisation))
    assert anonymisation.signed_off_at is None
    review = facilitator.get(f"/review/{public_id(story.id)}").get_data(as_text=True)
    assert "The storyteller asked for changes" in review and "people know that rota" in review
    redactions = facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    assert "people know that rota" in redactions  # where the reviewer makes the changes
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "storyteller_asked_changes")
    )
    assert event.target_id == story.id and "rota" not in str(event.details)
    assert (
        "The reviewer is making the changes" in reporter.get(f"/stories/{public_id(story.id)}").text
    )

    # The reviewer hides the day and signs off again: a new sign-off needs a new check.
    post_form(
        facilitator,
        f"/review/{public_id(story.id)}/redactions/add",
        {"phrase": "Tuesday", "label": "DATE"},
    )
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 409
    page = reporter.get(f"/stories/{public_id(story.id)}/check").get_data(as_text=True)
    assert "[PERSON 1] and I painted the hall at [PLACE 1] on [DATE 1]." in page
    assert "Tuesday" not in page and "Marisol" not in page
    assert _agree(reporter, story.id).status_code == 302
    assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 302


def test_any_change_after_the_storyteller_agreed_needs_their_check_again(world):
    app, factories, people = world
    story = factories.story(people["reporter"], signed_off=False, text=STORY)
    reporter = _client(app, people["reporter"])
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    _agree(reporter, story.id)
    post_form(
        facilitator,
        f"/review/{public_id(story.id)}/redactions/add",
        {"phrase": "hall", "label": "LOCATION"},
    )
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    refused = post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    assert refused.status_code == 409 and "storyteller" in refused.text


def test_an_answer_about_an_earlier_version_or_without_a_note_is_refused(world):
    app, factories, people = world
    story = factories.story(people["reporter"], signed_off=False, text=STORY)
    reporter = _client(app, people["reporter"])
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    shown = _stamp(reporter.get(f"/stories/{public_id(story.id)}/check").get_data(as_text=True))
    empty = post_form(reporter, f"/stories/{public_id(story.id)}/check/changes", {"shown": shown})
    assert empty.status_code == 400 and "Write what the storyteller wants changed" in empty.text
    # The reviewer changes something and signs off again while the page was open.
    post_form(
        facilitator,
        f"/review/{public_id(story.id)}/redactions/add",
        {"phrase": "hall", "label": "LOCATION"},
    )
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    stale = post_form(reporter, f"/stories/{public_id(story.id)}/check/agree", {"shown": shown})
    assert stale.status_code == 409 and "changed while you had it open" in stale.text
    assert db.session.scalar(db.select(StorytellerCheck)) is None


def test_with_the_check_optional_approval_does_not_wait(make_app):
    app, factories, people, context = _world(make_app, STORYTELLER_CHECK="optional")
    try:
        story = factories.story(people["reporter"], signed_off=False, text=STORY)
        facilitator = _client(app, people["facilitator"])
        post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
        review = facilitator.get(f"/review/{public_id(story.id)}").get_data(as_text=True)
        assert "Approval does not wait for them here" in review
        assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 302
    finally:
        context.pop()


@pytest.mark.skipif(not JFK.exists(), reason="shared audio data is not present")
def test_reporter_plays_the_beeped_recording_to_the_storyteller_audited_once_per_play(world):
    app, _factories, people = world
    reporter = _client(app, people["reporter"])
    site_id = db.session.scalar(db.select(Site.id))
    response = post_form(
        reporter,
        "/stories/new",
        _form(site_id, JFK.read_bytes(), "speech.flac"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    story = db.session.scalar(db.select(Story))
    url = f"/stories/{public_id(story.id)}/check/audio"
    assert reporter.get(url).status_code == 404  # nothing signed off, nothing to hear
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    page = reporter.get(f"/stories/{public_id(story.id)}/check").get_data(as_text=True)
    assert url in page and "[PERSON 1]" in page and "Americans" not in page
    assert f"/stories/{public_id(story.id)}/audio/original" not in page

    whole = reporter.get(url)
    assert whole.status_code == 200 and whole.data[:4] == b"RIFF"
    anonymisation = db.session.scalar(db.select(Anonymisation))
    beeped = Path(app.extensions["storybank_storage"].direct_path(anonymisation.redacted_audio_key))
    assert whole.data == beeped.read_bytes()
    # However the player fetches it, one play is one audit event, and none goes unaudited.
    assert reporter.get(url, headers={"Range": "bytes=100-"}).status_code == 206
    assert reporter.get(url, headers={"Range": "bytes=0-99999999"}).status_code == 206
    assert _actions().count("storyteller_check_heard") == 1
    assert _agree(reporter, story.id).status_code == 302
