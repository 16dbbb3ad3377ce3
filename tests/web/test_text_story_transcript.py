"""A text story has no transcript: its transcript URL is a 404 and writes no audit event."""

from __future__ import annotations

import pytest

from storybank.core.audit import AuditEvent
from storybank.extensions import db
from tests.conftest import post_form
from tests.conftest import public_id


def audit_actions() -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.mark.parametrize("role", ["reporter", "facilitator", "admin"])
def test_transcript_of_a_text_story_is_not_found_and_not_audited(client, factories, login_as, role):
    reporter = factories.user("reporter")
    story = factories.story(
        reporter, status="in_review", text="The kettle broke on a Tuesday and we laughed."
    )
    login_as(reporter if role == "reporter" else factories.user(role))
    before = audit_actions()
    assert client.get(f"/stories/{public_id(story.id)}/transcript").status_code == 404
    assert audit_actions() == before


def test_correcting_a_text_story_through_the_transcript_url_is_not_found(
    client, factories, login_as
):
    reporter = factories.user("reporter")
    text = "The kettle broke on a Tuesday and we laughed."
    story = factories.story(reporter, status="in_review", text=text)
    login_as(reporter)
    response = post_form(
        client, f"/stories/{public_id(story.id)}/transcript", {"text": "Changed words."}
    )
    assert response.status_code == 404
    db.session.refresh(story)
    assert story.current_text.body == text
