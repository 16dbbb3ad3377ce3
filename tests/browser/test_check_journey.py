"""The storyteller's check in a real browser, on a desktop and a phone screen: the reporter shows
the storyteller the signed-off anonymised story and records that they agree, or sends it back
with what they want changed; the reviewer's approval waits for the answer and shows it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from storybank.anonymise.engine import Detection
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.services import sign_off
from storybank.check.models import StorytellerCheck
from storybank.extensions import db
from storybank.stories.models import Story
from tests.browser.conftest import LiveServer
from tests.browser.journey import VIEWPORTS
from tests.browser.journey import Watch
from tests.browser.journey import check_page
from tests.browser.journey import expect_problems_only_for
from tests.browser.journey import flash
from tests.browser.journey import log_in
from tests.browser.journey import new_page
from tests.browser.journey import press
from tests.conftest import public_id
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

TITLE = "A week at a time"
# Invented sentences only.
TEXT = (
    "Branwen from the probation office in Lostwithiel rang me every week until I found my feet. "
    "She always talked to me as a person with plans of my own."
)
RELEASED = (
    "[PERSON 1] from the probation office in [PLACE 1] rang me every week until I found my "
    "feet. She always talked to me as a person with plans of my own."
)
NOTE = "Please leave out the probation office too; people round here would know it."


class NamesFinder:
    """Finds the two identifiers in TEXT, so that the journey knows what others will read."""

    def detect(self, text, known_names=(), lists=None):
        found = (("Branwen", "PERSON"), ("Lostwithiel", "LOCATION"))
        return [
            Detection(match.start(), match.end(), label, "ner", 0.9, words)
            for words, label in found
            for match in re.finditer(rf"\b{words}\b", text)
        ]


@pytest.fixture
def app(make_app) -> Flask:
    """The app as deployed: approval waits for the storyteller's check."""
    return make_app(STORYTELLER_CHECK="required", ANONYMISER_FACTORY=NamesFinder)


@dataclass
class World:
    """The reporter, the reviewer, and the signed-off story waiting for the storyteller."""

    reporter_email: str
    reviewer_email: str
    story_id: int


@pytest.fixture
def world(factories: Factories) -> World:
    """A written story in review whose redactions the reviewer has signed off."""
    reporter = factories.user("reporter")
    reviewer = factories.user("facilitator")
    story = factories.story(reporter, signed_off=False, title=TITLE, text=TEXT)
    assert story.status == "in_review", story.failure_reason
    sign_off(reviewer, story.id)
    return World(reporter.email, reviewer.email, story.id)


def open_review(page: Page, base_url: str, story_id: int) -> None:
    """The reviewer's page for the story."""
    page.goto(f"{base_url}/review/{public_id(story_id)}")
    page.get_by_role("heading", level=1, name=f"Review “{TITLE}”").wait_for()


def reviewer_waits(page: Page, watch: Watch, size: str, base_url: str, world: World) -> None:
    """Before the storyteller answers, the reviewer cannot approve."""
    log_in(page, base_url, world.reviewer_email, watch, size)
    open_review(page, base_url, world.story_id)
    assert "Waiting for the storyteller" in page.locator("#storyteller-check").inner_text()
    assert page.get_by_role("button", name="Approve").is_disabled()
    blocked = page.locator("#approve-blocked").inner_text()
    assert blocked == "Approve is not available yet: wait for the storyteller to agree."
    check_page(page, watch, size, "review-waiting")


def open_check(page: Page, watch: Watch, size: str, base_url: str, email: str) -> None:
    """The reporter signs in, opens the story, and opens the check to show the storyteller."""
    log_in(page, base_url, email, watch, size)
    page.get_by_role("heading", level=1, name="My stories").wait_for()
    page.locator("main ul.cards").get_by_role("link", name=TITLE).click()
    page.get_by_role("heading", level=1, name=TITLE).wait_for()
    section = page.locator("#storyteller-check")
    assert "The names and places are hidden." in section.inner_text()
    check_page(page, watch, size, "story-waiting")
    section.get_by_role("link", name="Show the storyteller").click()
    page.get_by_role("heading", level=1, name="Check with the storyteller").wait_for()
    shown = page.locator("main .story-text").inner_text()
    assert " ".join(shown.split()) == RELEASED
    assert "Branwen" not in shown and "Lostwithiel" not in shown
    check_page(page, watch, size, "check")


def back_on_the_story(page: Page, message: str, check: str) -> None:
    """After the storyteller's answer: the story's page, with the answer's message and the
    check's new state."""
    page.get_by_role("heading", level=1, name=TITLE).wait_for()
    assert message in flash(page)
    assert check in page.locator("#storyteller-check").inner_text()


def storyteller_agrees(page: Page, watch: Watch, size: str) -> None:
    """The storyteller agrees; the story page says so."""
    press(page, page.get_by_role("button", name="The storyteller has seen it and agrees"))
    back_on_the_story(
        page,
        "The storyteller's agreement is recorded",
        "The storyteller agreed to what others will read.",
    )
    check_page(page, watch, size, "story-agreed")


def storyteller_asks_changes(page: Page, watch: Watch, size: str) -> None:
    """An empty note is refused with what to do; a written one sends the story back."""
    press(page, page.get_by_role("button", name="Send it back with this note"))
    page.get_by_role("heading", level=1, name="Check with the storyteller").wait_for()
    message = "Write what the storyteller wants changed, so the reviewer knows what to do."
    assert message in page.locator("main .errors").inner_text()
    expect_problems_only_for(watch, 400, "/check/changes")
    check_page(page, watch, size, "check-note-missing")
    page.get_by_label("What does the storyteller want changed?").fill(NOTE)
    press(page, page.get_by_role("button", name="Send it back with this note"))
    back_on_the_story(
        page,
        "Sent back to the reviewer with the storyteller's note.",
        "You sent it back with the storyteller's note.",
    )
    check_page(page, watch, size, "story-sent-back")


def reviewer_approves(page: Page, watch: Watch, size: str, base_url: str, world: World) -> None:
    """After the storyteller agreed, approval is open, and the reviewer approves."""
    open_review(page, base_url, world.story_id)
    assert "The storyteller agreed" in page.locator("#storyteller-check").inner_text()
    approve = page.get_by_role("button", name="Approve")
    assert approve.is_enabled()
    check_page(page, watch, size, "review-agreed")
    press(page, approve)
    page.get_by_role("heading", level=1, name="Stories waiting for review").wait_for()
    assert "Approved." in flash(page)
    check_page(page, watch, size, "approved")


def reviewer_reads_note(page: Page, watch: Watch, size: str, base_url: str, world: World) -> None:
    """The reviewer sees the storyteller's note; approval waits for a new sign-off."""
    open_review(page, base_url, world.story_id)
    section = page.locator("#storyteller-check").inner_text()
    assert "The storyteller asked for changes" in section and NOTE in section
    assert page.get_by_role("button", name="Approve").is_disabled()
    assert "sign off the redactions first" in page.locator("#approve-blocked").inner_text()
    check_page(page, watch, size, "review-changes-asked")
    page.get_by_role("link", name="Review the redactions").click()
    page.get_by_role("heading", level=1, name=f"Redactions: “{TITLE}”").wait_for()
    assert NOTE in page.locator("#storyteller-check").inner_text()
    check_page(page, watch, size, "redactions-changes-asked")


def assert_recorded(app: Flask, world: World, outcome: str) -> None:
    """The answer is kept against the sign-off; a request for changes undoes the sign-off."""
    with app.app_context():
        story = db.session.get(Story, world.story_id)
        answers = db.session.scalars(
            db.select(StorytellerCheck).where(StorytellerCheck.story_id == story.id)
        ).all()
        assert [answer.decision for answer in answers] == [outcome]
        assert answers[0].decided_by_id == story.reporter_id
        anonymisation = db.session.scalar(
            db.select(Anonymisation).where(Anonymisation.story_id == story.id)
        )
        if outcome == "agreed":
            assert story.status == "approved"
            assert answers[0].note is None
            assert answers[0].signed_off_at == anonymisation.signed_off_at
        else:
            assert story.status == "in_review"
            assert answers[0].note == NOTE
            assert anonymisation.signed_off_at is None


@pytest.mark.parametrize("outcome", ["agreed", "changes_asked"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_reporter_records_the_storytellers_check_in_a_real_browser(
    size: str, outcome: str, chromium: Browser, live_server: LiveServer, world: World
) -> None:
    base_url = live_server.url
    began = time.monotonic()
    reviewer_watch = Watch(base_url=base_url)
    reporter_watch = Watch(base_url=base_url)
    reviewer_context, reviewer = new_page(chromium, size, reviewer_watch)
    reporter_context, reporter = new_page(chromium, size, reporter_watch)
    reviewer_shots = f"{size}-check-{outcome}-reviewer"
    reporter_shots = f"{size}-check-{outcome}-reporter"
    try:
        reviewer_waits(reviewer, reviewer_watch, reviewer_shots, base_url, world)
        open_check(reporter, reporter_watch, reporter_shots, base_url, world.reporter_email)
        if outcome == "agreed":
            storyteller_agrees(reporter, reporter_watch, reporter_shots)
            reviewer_approves(reviewer, reviewer_watch, reviewer_shots, base_url, world)
        else:
            storyteller_asks_changes(reporter, reporter_watch, reporter_shots)
            reviewer_reads_note(reviewer, reviewer_watch, reviewer_shots, base_url, world)
    finally:
        reviewer_context.close()
        reporter_context.close()
    print(f"\ncheck journey ({size}, {outcome}): {time.monotonic() - began:.1f} s")
    assert_recorded(live_server.app, world, outcome)
    assert reviewer_watch.problems == [] and reporter_watch.problems == []
