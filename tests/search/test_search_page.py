"""The research search page: words, facets, snippets, pages, and who may open it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from storybank.privacy.services import ConsentUses
from storybank.privacy.services import change_consent
from tests.conftest import public_id

GARDEN = "The allotment helped me more than anything. Growing beans gave my week a shape."
KETTLE = "My supervisor trusted me with the kettle rota, which sounds small but mattered."


@pytest.mark.parametrize(
    ("role", "status"),
    [("researcher", 200), ("admin", 200), ("facilitator", 403), ("reporter", 403)],
)
def test_who_may_open_the_search_page(factories, login_as, client, role, status):
    login_as(factories.user(role))
    assert client.get("/research/").status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/research/?q=beans")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_the_page_shows_matches_marked_with_facets_and_keeps_the_filters(
    publish, factories, login_as, client
):
    story = publish(GARDEN, themes=("community",))
    publish(KETTLE, themes=("trust",))
    login_as(factories.user("researcher"))
    page = client.get("/research/?q=beans&theme=community").get_data(as_text=True)
    assert "1 story found" in page
    assert f"Story {public_id(story.id)}" in page
    assert "<mark>beans</mark>" in page
    assert 'name="theme" value="community" checked' in page
    assert "A bike for work" not in page  # titles are typed by people, not anonymised


def test_bad_parameters_say_what_is_wrong_instead_of_failing(publish, factories, login_as, client):
    publish(GARDEN)
    login_as(factories.user("researcher"))
    response = client.get("/research/?from=yesterday")
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.get_data(as_text=True)
    assert client.get("/research/?page=lots").status_code == 400
    assert client.get("/research/?site=99999999999999999999999").status_code == 200


def test_a_story_whose_research_consent_is_narrowed_leaves_the_page(
    publish, factories, login_as, client
):
    story = publish(GARDEN)
    login_as(factories.user("researcher"))
    assert "<mark>beans</mark>" in client.get("/research/?q=beans").get_data(as_text=True)
    change_consent(publish.reporter, story.id, ConsentUses(True, False, False))
    page = client.get("/research/?q=beans").get_data(as_text=True)
    assert "0 stories found" in page and "beans</mark>" not in page


def test_markup_in_a_story_is_shown_as_text(publish, factories, login_as, client):
    publish("I wrote <b>bold</b> words & more about the allotment.")
    login_as(factories.user("researcher"))
    page = client.get("/research/?q=allotment").get_data(as_text=True)
    assert "<b>bold</b>" not in page
