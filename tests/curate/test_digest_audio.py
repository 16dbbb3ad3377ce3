"""The digest plays a story's beeped recording only while consent allows audio at events, and
a pack notes the day that stopped."""

from __future__ import annotations

from datetime import date

import pytest

from storybank.curate import builder
from storybank.curate import events
from storybank.curate.models import PackChange
from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import post_form
from tests.conftest import public_id
from tests.web.test_audio_stories import JFK
from tests.web.test_redacted_audio import _client
from tests.web.test_redacted_audio import _upload
from tests.web.test_redacted_audio import world  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(not JFK.exists(), reason="shared audio data is not present")


def test_digest_plays_beeped_audio_only_while_consent_allows_it(world):  # noqa: F811
    app, people, _site = world
    story = _upload(app, people, _site)
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    approved = post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    assert approved.status_code == 302
    event = events.create_event(
        people["facilitator"],
        events.EventDetails(
            "Listening evening", date(2027, 5, 1), "Hall", people["facilitator"].id
        ),
    )
    builder.add_story_to_pack(people["facilitator"], event.id, story.id)
    audio_url = f"/stories/{public_id(story.id)}/audio/redacted"

    digest = facilitator.get(f"/events/{event.id}/digest").get_data(as_text=True)
    assert f'src="{audio_url}"' in digest
    assert facilitator.get(audio_url).status_code == 200

    reporter = _client(app, people["reporter"])
    narrowed = post_form(
        reporter, f"/stories/{public_id(story.id)}/consent", {"events": "y", "research": "y"}
    )
    assert narrowed.status_code == 302
    digest = facilitator.get(f"/events/{event.id}/digest").get_data(as_text=True)
    assert audio_url not in digest
    assert facilitator.get(audio_url).status_code == 404
    db.session.expire_all()
    assert db.session.get(Story, story.id).status == "approved"
    change = db.session.scalars(db.select(PackChange)).one()
    assert "recording no longer plays" in change.reason
