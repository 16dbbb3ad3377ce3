"""Consent changes: each is a new record, narrowing takes effect at once, widening is refused."""

from __future__ import annotations

import re

import pytest

from storybank.core.audit import AuditEvent
from storybank.core.errors import InvalidInput
from storybank.extensions import db
from storybank.privacy.services import ConsentUses
from storybank.privacy.services import change_consent
from storybank.stories.models import ConsentRecord
from storybank.stories.services import list_approved_stories
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id

TEXT = "The allotment group met on Thursdays and I learnt to grow beans with my neighbour."


def test_narrowing_research_takes_the_story_out_of_the_library_at_once(factories):
    reporter, researcher = factories.user("reporter"), factories.user("researcher")
    story = factories.story(reporter, status="approved", text=TEXT)
    assert story in list_approved_stories(researcher)

    change_consent(
        reporter, story.id, ConsentUses(events=True, research=False, audio_at_events=False)
    )

    assert story not in list_approved_stories(researcher)
    records = db.session.scalars(
        db.select(ConsentRecord)
        .where(ConsentRecord.story_id == story.id)
        .order_by(ConsentRecord.id)
    ).all()
    assert [(r.events, r.research) for r in records] == [(True, True), (True, False)]
    assert records[1].recorded_by_id == reporter.id
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "consent_changed"))
    assert event.target_id == story.id and event.details == {"uses": "events"}


def test_narrowing_events_hides_the_story_from_facilitators(app, factories, login_as):
    reporter, facilitator = factories.user("reporter"), factories.user("facilitator")
    story = factories.story(reporter, status="approved", text=TEXT)
    admin = factories.user("admin")
    change_consent(admin, story.id, ConsentUses(events=False, research=True, audio_at_events=False))
    client = login_as(facilitator)
    assert client.get(f"/stories/{public_id(story.id)}").status_code == 404


def test_widening_consent_is_refused_with_what_to_do(factories):
    reporter = factories.user("reporter")
    story = factories.story(reporter, text=TEXT, consent=factories.consent(research=False))
    with pytest.raises(InvalidInput, match="only be narrowed"):
        change_consent(reporter, story.id, ConsentUses(True, True, False))
    assert len(story.consents) == 1


def test_the_consent_page_says_what_will_happen_and_saves_a_narrower_consent(factories, login_as):
    reporter = factories.user("reporter")
    story = factories.story(reporter, text=TEXT)
    client = login_as(reporter)
    page = client.get(f"/stories/{public_id(story.id)}/consent").get_data(as_text=True)
    assert "It happens straight away" in page and "leaves every event pack" in page
    assert "cannot be undone" in page
    response = post_form(client, f"/stories/{public_id(story.id)}/consent", {"events": "y"})
    assert response.status_code == 302
    db.session.refresh(story)
    assert story.current_consent.research is False and story.current_consent.events is True


def test_withdrawal_needs_the_confirmation_tick(factories, login_as):
    reporter = factories.user("reporter")
    story_id = factories.story(reporter, text=TEXT).id
    client = login_as(reporter)
    response = post_form(client, f"/stories/{public_id(story_id)}/withdraw", {})
    assert response.status_code == 400
    assert "Tick the box" in response.get_data(as_text=True)
    assert client.get(f"/stories/{public_id(story_id)}").status_code == 200

    response = post_form(client, f"/stories/{public_id(story_id)}/withdraw", {"confirm": "y"})
    assert response.status_code == 302
    assert client.get(f"/stories/{public_id(story_id)}").status_code == 404


def test_a_refused_withdrawal_shows_the_consent_as_it_stands(factories, login_as):
    """The consent ticks on the refusal page are the stored consent, not the empty withdrawal
    form: saving them from there must not narrow anything the reporter did not untick."""
    reporter = factories.user("reporter")
    story_id = factories.story(reporter, text=TEXT).id
    client = login_as(reporter)
    response = post_form(client, f"/stories/{public_id(story_id)}/withdraw", {})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'<input checked id="events" name="events" type="checkbox"', page)
    assert re.search(r'<input checked id="research" name="research" type="checkbox"', page)
    assert not re.search(r'<input checked id="audio_at_events"', page)


def test_the_story_page_links_to_consent_for_its_reporter_only(factories, login_as, app):
    reporter, facilitator = factories.user("reporter"), factories.user("facilitator")
    story = factories.story(reporter, status="in_review", text=TEXT)
    page = login_as(reporter).get(f"/stories/{public_id(story.id)}").get_data(as_text=True)
    assert f"/stories/{public_id(story.id)}/consent" in page
    other = app.test_client()
    login(other, facilitator.email)
    assert f"/stories/{public_id(story.id)}/consent" not in other.get(
        f"/stories/{public_id(story.id)}"
    ).get_data(as_text=True)
