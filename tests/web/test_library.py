"""Approved stories (/stories/library): filtered in SQL by role and current consent, paged."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import event

from storybank.accounts.models import User
from storybank.core.ids import PUBLIC_ID_PATTERN
from storybank.core.ids import story_id_from_public
from storybank.extensions import db
from storybank.stories import policy
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Site
from storybank.stories.models import Story
from storybank.stories.services import list_approved_stories
from storybank.stories.services import show_library
from tests.conftest import public_id

_keys = itertools.count(1)
LINK = re.compile(rf'href="/stories/({PUBLIC_ID_PATTERN})"')
# (processing, events, research) of each consent record, oldest first.
EVENTS_ONLY = (True, True, False)
RESEARCH_ONLY = (True, False, True)
BOTH = (True, True, True)
NEITHER = (True, False, False)
WITHDRAWN = (False, True, True)


def add_approved_stories(
    reporter: User, site: Site, count: int, consents: tuple[tuple[bool, bool, bool], ...] = (BOTH,)
) -> list[Story]:
    """Add approved stories straight to the database, each with the consent records given."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stories = []
    for number in range(count):
        key = next(_keys)
        story = Story(
            reporter_id=reporter.id,
            site_id=site.id,
            title=f"Typed title {key}",
            story_type="personal",
            voice="family_or_friend",
            storyteller_pseudonym=f"Pseudonym {key}",
            status="approved",
            submission_key=f"library-{key}",
            approved_at=start + timedelta(minutes=number),
        )
        story.consents = [
            ConsentRecord(
                processing=processing,
                events=events,
                research=research,
                audio_at_events=False,
                given_on=date(2026, 1, 1),
                recorded_by_id=reporter.id,
            )
            for processing, events, research in consents
        ]
        stories.append(story)
    db.session.add_all(stories)
    db.session.commit()
    return stories


@contextlib.contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Collect every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def library_ids(client, page: int | None = None) -> list[int]:
    url = "/stories/library" if page is None else f"/stories/library?page={page}"
    response = client.get(url)
    assert response.status_code == 200
    return [story_id_from_public(found) for found in LINK.findall(response.get_data(as_text=True))]


@pytest.mark.parametrize("role", ["facilitator", "researcher", "admin"])
def test_the_library_page_sends_the_same_number_of_queries_for_10_or_60_stories(
    factories, login_as, role
):
    reporter, site = factories.user("reporter"), factories.site()
    client = login_as(factories.user(role))
    counts = []
    for added, shown in ((10, 10), (50, 50)):  # 10 stories, then 60
        add_approved_stories(reporter, site, added)
        with counted_queries() as statements:
            assert len(library_ids(client)) == shown
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12, counts


def test_the_library_pages_through_every_story_fifty_at_a_time_newest_first(factories, login_as):
    reporter, site = factories.user("reporter"), factories.site()
    stories = add_approved_stories(reporter, site, 60)
    client = login_as(factories.user("researcher"))
    newest_first = [story.id for story in reversed(stories)]

    first, second = library_ids(client), library_ids(client, page=2)

    assert first == newest_first[:50] and second == newest_first[50:]
    page_one = client.get("/stories/library").get_data(as_text=True)
    assert "60 stories, page 1 of 2" in page_one
    assert 'href="/stories/library?page=2"' in page_one and "Newer" not in page_one
    page_two = client.get("/stories/library?page=2").get_data(as_text=True)
    assert 'href="/stories/library?page=1"' in page_two and "Older" not in page_two
    assert library_ids(client, page=99) == second  # past the end: the last page
    assert library_ids(client, page=0) == first
    assert client.get("/stories/library?page=nonsense").status_code == 200


@pytest.mark.parametrize(("role", "use"), [("facilitator", "events"), ("researcher", "research")])
def test_a_story_whose_newest_consent_withdrew_the_use_is_not_listed(
    factories, login_as, role, use
):
    reporter, site = factories.user("reporter"), factories.site()
    narrowed = RESEARCH_ONLY if use == "events" else EVENTS_ONLY
    (withdrawn,) = add_approved_stories(reporter, site, 1, consents=(BOTH, narrowed))
    (kept,) = add_approved_stories(reporter, site, 1, consents=(NEITHER, BOTH))
    (stopped,) = add_approved_stories(reporter, site, 1, consents=(BOTH, WITHDRAWN))
    actor = factories.user(role)

    listed = library_ids(login_as(actor))

    assert withdrawn.id not in listed and stopped.id not in listed
    assert kept.id in listed  # only the newest record counts, whichever way it went
    assert [s.id for s in show_library(actor).found.stories] == listed


@pytest.mark.parametrize("role", ["facilitator", "researcher", "admin"])
def test_the_library_lists_exactly_what_the_policy_lets_each_role_see(factories, role):
    reporter, site = factories.user("reporter"), factories.site()
    histories = [
        (BOTH,), (EVENTS_ONLY,), (RESEARCH_ONLY,), (NEITHER,), (WITHDRAWN,),
        (BOTH, EVENTS_ONLY), (BOTH, RESEARCH_ONLY), (NEITHER, BOTH), (BOTH, WITHDRAWN), (),
    ]  # fmt: skip
    for consents in histories:
        add_approved_stories(reporter, site, 1, consents=consents)
    factories.story(reporter, status="in_review")
    actor = factories.user(role)
    every_story = db.session.scalars(db.select(Story)).all()

    expected = {
        s.id for s in every_story if s.status == "approved" and policy.can_see_story(actor, s)
    }

    assert {story.id for story in list_approved_stories(actor)} == expected
    assert {story.id for story in show_library(actor).found.stories} == expected


@pytest.mark.parametrize(
    ("role", "sees_title"), [("facilitator", False), ("researcher", False), ("admin", True)]
)
def test_titles_show_on_the_library_only_where_the_policy_allows(
    factories, login_as, role, sees_title
):
    reporter, site = factories.user("reporter"), factories.site()
    (story,) = add_approved_stories(reporter, site, 1)
    page = login_as(factories.user(role)).get("/stories/library").text
    assert (story.title in page) is sees_title
    assert (f"Story {public_id(story.id)}" in page) is not sees_title
    assert story.storyteller_pseudonym not in page
