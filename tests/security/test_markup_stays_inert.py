"""A story kept as written with markup in it is shown as text on every page that shows it."""

from __future__ import annotations

import pytest

from storybank.extensions import db
from tests.conftest import public_id

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)><a href="javascript:go()">go</a>'
TEXT = f"The probation office door stuck. {MARKUP} Then it opened and I went in."


@pytest.fixture
def marked_story(factories):
    return factories.story(factories.user("reporter"), status="in_review", text=TEXT)


def assert_inert(page: str) -> None:
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page
    assert "&lt;script&gt;alert" in page


def test_reviewer_pages_show_the_markup_as_text(client, factories, login_as, marked_story):
    login_as(factories.user("facilitator"))
    for url in (
        f"/review/{public_id(marked_story.id)}",
        f"/review/{public_id(marked_story.id)}/redactions",
        f"/stories/{public_id(marked_story.id)}/original",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["facilitator", "researcher"])
def test_released_text_shows_the_markup_as_text(client, factories, login_as, marked_story, role):
    marked_story.status = "approved"
    db.session.commit()
    login_as(factories.user(role))
    page = client.get(f"/stories/{public_id(marked_story.id)}").get_data(as_text=True)
    assert "The probation office door stuck." in page
    assert_inert(page)
