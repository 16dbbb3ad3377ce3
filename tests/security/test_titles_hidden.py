"""Titles and pseudonyms are typed, never anonymised: they reach only the reporter, reviewers
during review, and admins. Everyone else sees "Story <public id>"."""

from __future__ import annotations

import re

import pytest

from storybank.extensions import db
from storybank.stories import services
from storybank.stories.models import Story
from tests.conftest import post_form
from tests.conftest import public_id

TITLE = "The day Ottoline Bramwell-Figg found me a room"
PSEUDONYM = "Quillon Vantrees"
TEXT = "A support worker rang round every hostel in town until one had a bed for me."


@pytest.fixture
def named_story(factories) -> Story:
    reporter = factories.user("reporter")
    story = factories.story(reporter, title=TITLE, storyteller_pseudonym=PSEUDONYM, text=TEXT)
    story.status = "approved"
    db.session.commit()
    return story


def assert_unnamed(page: str) -> None:
    assert "Ottoline" not in page and "Bramwell" not in page
    assert "Quillon" not in page and "Vantrees" not in page


def new_event(client, facilitator_id: int) -> int:
    form = {
        "title": "Autumn conversation",
        "held_on": "2027-10-04",
        "place": "Library hall",
        "facilitator_id": str(facilitator_id),
        "audience": "Mentors and staff",
    }
    response = post_form(client, "/events/new", form)
    assert response.status_code == 302
    return int(re.search(r"/events/(\d+)/pack", response.headers["Location"]).group(1))


@pytest.mark.parametrize("role", ["facilitator", "researcher"])
def test_library_and_story_page_show_no_typed_title_or_pseudonym(
    client, factories, login_as, named_story, role
):
    login_as(factories.user(role))
    library = client.get("/stories/library").get_data(as_text=True)
    assert f"Story {public_id(named_story.id)}" in library
    assert_unnamed(library)
    page = client.get(f"/stories/{public_id(named_story.id)}")
    assert page.status_code == 200
    assert f"Story {public_id(named_story.id)}" in page.get_data(as_text=True)
    assert_unnamed(page.get_data(as_text=True))


def test_facilitator_building_a_pack_sees_no_typed_title(client, factories, login_as, named_story):
    facilitator = factories.user("facilitator")
    login_as(facilitator)
    event_id = new_event(client, facilitator.id)
    assert_unnamed(client.get(f"/events/{event_id}/pack").get_data(as_text=True))
    added = post_form(
        client,
        f"/events/{event_id}/pack/stories",
        {"story_id": public_id(named_story.id), "reason": "Hope"},
    )
    assert added.status_code == 302
    for url in (
        f"/events/{event_id}/pack",
        f"/events/{event_id}/pack/stories/{public_id(named_story.id)}/quotes",
        f"/events/{event_id}",
        f"/events/{event_id}/digest",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_unnamed(response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["reporter", "admin"])
def test_reporter_and_admin_still_see_the_title_and_pseudonym(
    client, factories, login_as, named_story, role
):
    login_as(named_story.reporter if role == "reporter" else factories.user("admin"))
    page = client.get(f"/stories/{public_id(named_story.id)}").get_data(as_text=True)
    assert TITLE in page and PSEUDONYM in page


def test_reviewer_sees_the_title_while_the_story_is_in_review(client, factories, login_as):
    story = factories.story(factories.user("reporter"), status="in_review", title=TITLE, text=TEXT)
    login_as(factories.user("facilitator"))
    assert TITLE in client.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)


def test_research_search_and_exports_carry_no_title_or_pseudonym(app, client, factories, login_as):
    app.config["STORYTELLER_CHECK"] = "optional"
    story = factories.story(
        factories.user("reporter"),
        status="in_review",
        title=TITLE,
        storyteller_pseudonym=PSEUDONYM,
        text=TEXT,
    )
    services.approve_story(factories.user("admin"), story.id)
    login_as(factories.user("researcher"))
    found = client.get("/research/?q=hostel").get_data(as_text=True)
    assert f"/stories/{public_id(story.id)}" in found
    assert_unnamed(found)
    for kind in ("stories_csv", "excerpts_csv", "matrix_csv", "json"):
        response = client.get(f"/research/export/{kind}?q=hostel", buffered=True)
        assert response.status_code == 200, kind
        data = response.get_data(as_text=True)
        assert_unnamed(data)
        if kind in ("stories_csv", "json"):
            assert "hostel in town" in data, "the story itself is in the export"
