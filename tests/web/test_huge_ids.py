"""An id the database cannot hold is a 404 on every URL that takes one, never a 500."""

from __future__ import annotations

from tests.conftest import post_form
from tests.conftest import public_id
from tests.web.routes import answers_other_than_404
from tests.web.routes import routes_taking

HUGE_IDS = [2**31, 2**63, 2**64, 10**30]


def test_event_urls_are_among_those_checked(app):
    urls = {url for _, url in routes_taking(app, "int", "id")}
    assert "/events/{id}" in urls
    assert f"/events/{{id}}/pack/stories/{public_id(1)}/quotes" in urls


def test_an_id_past_the_database_range_is_not_found_on_any_url(app, client, factories, login_as):
    login_as(factories.user("admin"))
    routes = routes_taking(app, "int", "id")
    assert answers_other_than_404(client, routes, "id", HUGE_IDS) == []


def test_a_huge_site_in_the_new_story_form_is_refused_not_an_overflow(client, factories, login_as):
    login_as(factories.user("reporter"))
    form = {
        "title": "Tea at the drop-in",
        "story_type": "personal",
        "voice": "person_on_probation",
        "site_id": str(2**64),
        "storyteller_pseudonym": "Fennick",
        "consent_processing": "y",
        "consent_given_on": "2024-05-06",
        "text": "The volunteer at the drop-in always kept a biscuit back for me.",
        "submission_key": "huge-site",
    }
    assert post_form(client, "/stories/new", form).status_code == 400


def test_a_huge_facilitator_in_the_event_form_is_refused_not_an_overflow(
    client, factories, login_as
):
    login_as(factories.user("facilitator"))
    form = {
        "title": "Harvest conversation",
        "held_on": "2027-09-09",
        "place": "Chapel hall",
        "facilitator_id": str(2**64),
        "audience": "Mentors",
    }
    response = post_form(client, "/events/new", form)
    assert response.status_code in (200, 400)
    assert "Choose who will facilitate the event." in response.get_data(as_text=True)
