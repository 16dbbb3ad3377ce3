"""Withdrawal in a real browser, on a desktop and a phone screen: a reporter withdraws consent
for a published story through the consent page, in plain words; afterwards a facilitator's
event builder and story list and a researcher's search no longer show it, and its page is a
404 for both."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask import url_for

from storybank.curate.builder import add_story_to_pack
from storybank.curate.events import EventDetails
from storybank.curate.events import create_event
from storybank.extensions import db
from storybank.privacy.models import StoryTombstone
from storybank.stories.models import Story
from tests.browser.conftest import LiveServer
from tests.browser.journey import VIEWPORTS
from tests.browser.journey import Watch
from tests.browser.journey import check_page
from tests.browser.journey import expect_problems_only_for
from tests.browser.journey import log_in
from tests.browser.journey import new_page
from tests.browser.journey import open_from_menu
from tests.browser.journey import press
from tests.browser.journey import results_count
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

TITLE = "Thursday repairs"
# Invented sentences only. The marker word is in no other story, so any sight of it after the
# withdrawal is a leak.
MARKER = "periwinkle"
WITHDRAWN = (
    f"On Thursdays I helped at the repair cafe, mending kettles and a {MARKER} lamp, "
    "and for the first time in years I felt useful."
)
STAYS = "My key worker sat with me through the housing forms and never once hurried me."
# Words a storyteller should not have to puzzle over on the screen that erases their story.
JARGON = (
    "gdpr",
    "data subject",
    "erasure",
    "tombstone",
    "artefact",
    "derived",
    "pseudonym",
    "hereby",
    "revoke",
    "purge",
    "irrevocabl",
    "pursuant",
    "processing",
)
LONGEST_SENTENCE = 25  # words


@dataclass
class World:
    """Who looks, and where: the withdrawn story, the story that stays, the event's pack."""

    reporter_email: str
    facilitator_email: str
    researcher_email: str
    withdrawn_id: int
    withdrawn_url: str
    stays_id: int
    pack_url: str


@pytest.fixture
def world(app: Flask, publish: Callable[..., Story], factories: Factories) -> World:
    """Two published stories, both in a facilitator's event pack."""
    withdrawn = publish(WITHDRAWN, themes=("community",), title=TITLE)
    stays = publish(STAYS, themes=("trust",), title="Housing forms")
    facilitator = factories.user("facilitator")
    event = create_event(
        facilitator,
        EventDetails(
            "Winter conversation", date.today() + timedelta(days=10), "Hall", facilitator.id
        ),
    )
    add_story_to_pack(facilitator, event.id, withdrawn.id, "Shows being useful again")
    add_story_to_pack(facilitator, event.id, stays.id, "Patience with forms")
    with app.test_request_context():
        pack_url = url_for("events.pack", event_id=event.id)
        withdrawn_url = url_for("stories.detail", story_id=withdrawn.id)
    return World(
        reporter_email=publish.reporter.email,
        facilitator_email=facilitator.email,
        researcher_email=factories.user("researcher").email,
        withdrawn_id=withdrawn.id,
        withdrawn_url=withdrawn_url,
        stays_id=stays.id,
        pack_url=pack_url,
    )


def search_count(page: Page, words: str) -> int:
    """Search the researcher's search page for words and return the count it heads with."""
    page.get_by_label("Words", exact=True).fill(words)
    press(page, page.get_by_role("button", name="Search", exact=True))
    return results_count(page)


def researcher_finds_it(page: Page, watch: Watch, size: str, base_url: str, world: World) -> None:
    """Before: the marker word finds the story, and its page opens."""
    log_in(page, base_url, world.researcher_email, watch, size)
    open_from_menu(page, "Search stories")
    assert search_count(page, MARKER) == 1
    assert MARKER in page.locator("ol.results").inner_text().lower()
    check_page(page, watch, size, "search-before")
    assert page.goto(f"{base_url}{world.withdrawn_url}").status == 200


def facilitator_sees_it(page: Page, watch: Watch, size: str, base_url: str, world: World) -> None:
    """Before: the story is in the approved stories and in the event's pack."""
    log_in(page, base_url, world.facilitator_email, watch, size)
    open_from_menu(page, "Approved stories")
    assert page.locator("main ul.cards > li").count() == 2
    assert page.locator(f'main a[href="{world.withdrawn_url}"]').count() == 1
    check_page(page, watch, size, "library-before")
    page.goto(f"{base_url}{world.pack_url}")
    page.get_by_role("heading", level=1, name="Build the pack").wait_for()
    assert page.locator("#in-pack ol.pack-entries > li").count() == 2
    assert "Shows being useful again" in page.locator("#in-pack").inner_text()
    check_page(page, watch, size, "pack-before")


def assert_plain_words(text: str) -> None:
    """Short sentences and everyday words: no sentence over LONGEST_SENTENCE words, no jargon."""
    lowered = text.lower()
    assert not [word for word in JARGON if word in lowered], text
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        words = sentence.split()
        assert len(words) <= LONGEST_SENTENCE, f"{len(words)} words: {sentence!r}"


def reporter_withdraws(page: Page, watch: Watch, size: str, base_url: str, world: World) -> None:
    """From the story's page to the consent page; without the tick nothing happens; with it
    the story is erased and leaves My stories."""
    log_in(page, base_url, world.reporter_email, watch, size)
    page.get_by_role("heading", level=1, name="My stories").wait_for()
    page.locator("main ul.cards").get_by_role("link", name=TITLE).click()
    page.get_by_role("heading", level=1, name=TITLE).wait_for()
    page.get_by_role("link", name="Change or withdraw consent").click()
    page.get_by_role("heading", level=1, name=f"Consent for {TITLE}").wait_for()
    section = page.locator("section", has=page.get_by_role("heading", name="Delete the story"))
    text = section.inner_text()
    assert_plain_words(text)
    assert "cannot be undone" in text and "deletes the story for good" in text
    tick = page.get_by_label("The storyteller withdraws consent: erase this story for good")
    assert not tick.is_checked()
    assert page.get_by_label("Use in research").is_checked()
    check_page(page, watch, size, "consent")

    withdraw = page.get_by_role("button", name="Withdraw and erase", exact=True)
    press(page, withdraw)
    page.get_by_role("heading", level=1, name=f"Consent for {TITLE}").wait_for()
    expect_problems_only_for(watch, 400, "/withdraw")
    refusal = page.locator("main .errors").inner_text()
    assert "Tick the box to confirm." in refusal and "cannot be undone" in refusal
    assert_plain_words(refusal)
    # The consent above still shows as it stands, so saving it from here changes nothing.
    assert page.get_by_label("Use at Conversation of Change events").is_checked()
    assert page.get_by_label("Use in research").is_checked()
    check_page(page, watch, size, "withdraw-not-ticked")

    page.get_by_label("The storyteller withdraws consent: erase this story for good").check()
    press(page, withdraw)
    page.get_by_role("heading", level=1, name="My stories").wait_for()
    message = page.locator("p.flash").inner_text()
    assert message == ("Consent withdrawn. The story and everything made from it have been erased.")
    assert_plain_words(message)
    assert page.locator("main").get_by_role("link", name=TITLE).count() == 0
    assert page.locator("main").get_by_role("link", name="Housing forms").count() == 1
    check_page(page, watch, size, "withdrawn")


def facilitator_loses_it(page: Page, watch: Watch, size: str, base_url: str, world: World) -> None:
    """After: not in the approved stories, not in the pack or its candidates; its page is 404."""
    open_from_menu(page, "Approved stories")
    assert page.locator("main ul.cards > li").count() == 1
    assert page.locator(f'main a[href="{world.withdrawn_url}"]').count() == 0
    check_page(page, watch, size, "library-after")
    page.goto(f"{base_url}{world.pack_url}")
    page.get_by_role("heading", level=1, name="Build the pack").wait_for()
    assert page.locator("#in-pack ol.pack-entries > li").count() == 1
    assert "Shows being useful again" not in page.locator("#in-pack").inner_text()
    assert "1 story found." in page.locator("#find").inner_text()
    assert MARKER not in page.content().lower()
    check_page(page, watch, size, "pack-after")
    assert page.goto(f"{base_url}{world.withdrawn_url}").status == 404
    expect_problems_only_for(watch, 404, world.withdrawn_url)
    assert MARKER not in page.content().lower()
    check_page(page, watch, size, "story-404")


def researcher_loses_it(page: Page, watch: Watch, size: str, base_url: str, world: World) -> None:
    """After: the marker word finds nothing, and the story's page is a 404."""
    page.goto(f"{base_url}/")
    open_from_menu(page, "Search stories")
    assert search_count(page, MARKER) == 0
    assert MARKER not in page.locator("#results").inner_text().lower()
    check_page(page, watch, size, "search-after")
    assert page.goto(f"{base_url}{world.withdrawn_url}").status == 404
    expect_problems_only_for(watch, 404, world.withdrawn_url)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_withdrawn_story_is_gone_for_facilitators_and_researchers_in_a_real_browser(
    size: str, chromium: Browser, live_server: LiveServer, world: World
) -> None:
    base_url = live_server.url
    began = time.monotonic()
    watches = {role: Watch(base_url=base_url) for role in ("researcher", "facilitator", "reporter")}
    opened = {role: new_page(chromium, size, watch) for role, watch in watches.items()}
    pages = {role: page for role, (_context, page) in opened.items()}
    shots = {role: f"{size}-withdrawal-{role}" for role in watches}

    def step(role: str, action: Callable[..., None], *args: object) -> None:
        action(pages[role], watches[role], shots[role], base_url, *args)

    try:
        step("researcher", researcher_finds_it, world)
        step("facilitator", facilitator_sees_it, world)
        step("reporter", reporter_withdraws, world)
        step("facilitator", facilitator_loses_it, world)
        step("researcher", researcher_loses_it, world)
    finally:
        for context, _page in opened.values():
            context.close()
    print(f"\nwithdrawal journey ({size}): {time.monotonic() - began:.1f} s")
    with live_server.app.app_context():
        assert db.session.get(Story, world.withdrawn_id) is None
        assert db.session.get(Story, world.stays_id) is not None
        tombstone = db.session.scalar(
            db.select(StoryTombstone).where(StoryTombstone.story_id == world.withdrawn_id)
        )
        assert tombstone is not None and tombstone.reason == "consent_withdrawn"
    assert all(watch.problems == [] for watch in watches.values())
