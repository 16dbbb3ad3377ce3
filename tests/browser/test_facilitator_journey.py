"""A facilitator's journey in a real browser, on a desktop and a phone screen: plan an event,
build its pack (filter, add stories, pick a quote by selecting words, write prompts), print it,
show it on screen and record what was agreed, in a few minutes and with nothing going wrong."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from storybank.stories.models import Story
from tests.browser.conftest import LiveServer
from tests.browser.journey import VIEWPORTS
from tests.browser.journey import Watch
from tests.browser.journey import check_page
from tests.browser.journey import follow_job
from tests.browser.journey import log_in
from tests.browser.journey import new_page
from tests.browser.journey import open_from_menu
from tests.browser.journey import queue_after_a_moment  # noqa: F401
from tests.browser.journey import select_text
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# Invented sentences only. The withheld storyteller did not agree to use at events, so its
# marker word must never appear in the builder, the PDF or the digest.
BUS = "The peer mentor met me off the bus and walked me to the office, and I trusted him."
KEYS = (
    "My officer let me choose the day of my appointments around the warehouse shifts. "
    "That small choice kept me in work and out of trouble."
)
CAFE = "At the community cafe the volunteers asked what I needed instead of telling me."
MARKER = "quinces"
WITHHELD = f"My officer trusted me to pick {MARKER} at the farm, and it changed how I felt."
QUOTE = "That small choice kept me in work"
PROMPT = "What would make choosing appointment times normal for everyone?"
ACTION = "Offer appointment slots before nine and after five at every office."


@dataclass
class World:
    """What the journey expects to find."""

    facilitator_email: str
    stories: dict[str, Story]


@pytest.fixture
def world(publish: Callable[..., Story], factories: Factories) -> World:
    """Three stories that may be used at events, and one whose storyteller said no."""
    stories = {
        "bus": publish(BUS, themes=("trust",), voice="peer_mentor"),
        "keys": publish(KEYS, themes=("choice",)),
        "cafe": publish(CAFE, themes=("community",), voice="staff"),
        "withheld": publish(WITHHELD, themes=("trust",), consent=factories.consent(events=False)),
    }
    return World(facilitator_email=factories.user("facilitator").email, stories=stories)


def open_events(page: Page, watch: Watch, size: str) -> None:
    """The facilitator's events, from the main navigation."""
    open_from_menu(page, "Events", "Conversation of Change events")
    check_page(page, watch, size, "events")


def plan_event(page: Page, watch: Watch, size: str) -> None:
    """Fill in the event form; saving it opens the new event's pack builder."""
    page.get_by_role("link", name="Plan an event").click()
    page.get_by_role("heading", level=1, name="Plan an event").wait_for()
    page.get_by_label("Title").fill("Spring conversation")
    page.get_by_label("Date").fill((date.today() + timedelta(days=14)).isoformat())
    page.get_by_label("Where").fill("The library meeting room")
    page.get_by_label("Who is expected").fill("People on probation, peer mentors and staff")
    check_page(page, watch, size, "event-form")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", level=1, name="Build the pack").wait_for()
    assert "The library meeting room" in page.locator("main p.meta").first.inner_text()


def add_stories(page: Page, watch: Watch, size: str) -> None:
    """Filter the builder by words and by theme, and add two stories with a reason."""
    find = page.locator("#find")
    assert "3 stories found." in find.inner_text()
    assert MARKER not in page.content()
    page.get_by_label("Words in the text").fill("officer")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "1 story found." in find.inner_text()  # the withheld story also says "officer"
    add_story(page, KEYS[:20], "Shows what one small choice did")
    page.get_by_label("Words in the text").fill("")
    page.get_by_label("Theme", exact=True).select_option(label="Trust")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "1 story found." in find.inner_text()
    add_story(page, BUS[:20], "A peer mentor earning trust")
    entries = page.locator("#in-pack ol.pack-entries > li")
    assert entries.count() == 2
    assert "Why: Shows what one small choice did" in entries.nth(0).inner_text()
    check_page(page, watch, size, "pack-with-stories")


def add_story(page: Page, opening: str, reason: str) -> None:
    """Add the candidate whose preview starts with the given words, saying why."""
    card = page.locator("#find ul.cards > li", has_text=opening)
    assert card.count() == 1
    card.get_by_placeholder("Why this story (optional)").fill(reason)
    card.get_by_role("button", name="Add").click()
    page.wait_for_load_state()


def pick_quote(page: Page, watch: Watch, size: str) -> None:
    """Select a passage with the mouse's equivalent (a DOM selection) and add it as a quote."""
    entry = page.locator("#in-pack ol.pack-entries > li").nth(0)
    entry.get_by_role("link", name="Pick quotes").click()
    page.get_by_role("heading", level=1, name="Pick quotes").wait_for()
    select_text(page, "#quote-source", QUOTE)
    passage = page.get_by_label("Passage", exact=False)
    page.wait_for_function(
        "(words) => document.querySelector('[data-quote-passage]').value === words", arg=QUOTE
    )
    assert passage.input_value() == QUOTE
    assert page.locator("[data-quote-start]").input_value() != ""
    page.get_by_label("Theme").select_option(label="Choice")
    check_page(page, watch, size, "quote-picker")
    page.get_by_role("button", name="Add the quote").click()
    page.wait_for_load_state()
    assert page.locator("ul.quote-list q").all_inner_texts() == [QUOTE]
    page.get_by_role("link", name="← Back to the pack").click()
    page.get_by_role("heading", level=1, name="Build the pack").wait_for()


def write_prompts(page: Page, watch: Watch, size: str) -> None:
    """Choose the pack's themes and write a prompt for one."""
    plan = page.locator("#plan")
    for name in ("Trust", "Choice"):
        box = plan.get_by_role("checkbox", name=name)
        if not box.is_checked():
            box.check()
    plan.get_by_label("Discussion prompts for Choice").fill(PROMPT)
    plan.get_by_role("button", name="Save themes, prompts and notes").click()
    page.wait_for_load_state()
    assert page.locator("#plan").get_by_label("Discussion prompts for Choice").input_value() == (
        PROMPT
    )
    check_page(page, watch, size, "pack-planned")


def print_pack(page: Page, watch: Watch, size: str) -> str:
    """Click "Print (PDF)", watch the PDF being made, open it (in the browser's viewer) and
    return its text."""
    pack_url = page.url
    page.get_by_role("button", name="Print (PDF)").first.click()
    page.wait_for_load_state()
    follow_job(page, watch, size, "pack-printing", "Download the PDF")
    link = page.get_by_role("link", name="Download the PDF")
    href = link.get_attribute("href")
    assert href
    with page.expect_response(lambda response: response.url.endswith(href)) as answered:
        link.click()
    response = answered.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    # Chromium's viewer keeps the bytes to itself, so fetch them again with the same session.
    data = page.request.get(response.url).body()
    assert data.startswith(b"%PDF-")
    page.goto(pack_url)
    page.get_by_role("heading", level=1, name="Build the pack").wait_for()
    return "\n".join(sheet.extract_text() or "" for sheet in PdfReader(io.BytesIO(data)).pages)


def show_digest(page: Page, watch: Watch, size: str) -> None:
    """The on-screen digest shows the quote and the prompt, and nothing withheld."""
    page.get_by_role("link", name="Show on screen").first.click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert QUOTE in text and PROMPT in text
    assert MARKER not in page.content()
    check_page(page, watch, size, "digest")
    page.go_back()
    page.get_by_role("heading", level=1, name="Build the pack").wait_for()


def record_action(page: Page, watch: Watch, size: str) -> None:
    """After the event: the discussion notes and an agreed action, linked to its theme."""
    page.get_by_role("link", name="← Spring conversation").click()
    page.get_by_role("heading", level=1, name="Spring conversation").wait_for()
    page.locator("#said").get_by_label("What people said").fill("Most tables talked about choice.")
    page.get_by_role("button", name="Save the notes").click()
    page.wait_for_load_state()
    page.locator("#actions details > summary").click()
    form = page.locator("#actions form").first
    form.get_by_role("textbox", name="You said").fill("Appointments clash with work.")
    form.get_by_role("textbox", name="We will").fill(ACTION)
    form.get_by_label("Owner (a person or a team)").fill("Office managers")
    form.get_by_label("Due by").fill((date.today() + timedelta(days=60)).isoformat())
    form.locator("fieldset").first.get_by_role("checkbox", name="Choice").check()
    page.get_by_role("button", name="Record the action").click()
    page.wait_for_load_state()
    actions = page.locator("#actions ul.cards").inner_text()
    assert ACTION in actions and "Office managers" in actions and "Choice" in actions
    assert "Most tables talked about choice." in page.content()
    check_page(page, watch, size, "event-after")


@pytest.mark.usefixtures("queue_after_a_moment")
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_facilitator_builds_prints_and_runs_a_pack_in_a_real_browser(
    size: str,
    chromium: Browser,
    live_server: LiveServer,
    world: World,
) -> None:
    watch = Watch(base_url=live_server.url)
    context, page = new_page(chromium, size, watch, timeout=30_000)
    shots = f"{size}-facilitator"
    began = time.monotonic()
    try:
        log_in(page, live_server.url, world.facilitator_email, watch, shots)
        open_events(page, watch, shots)
        plan_event(page, watch, shots)
        add_stories(page, watch, shots)
        pick_quote(page, watch, shots)
        write_prompts(page, watch, shots)
        printed = print_pack(page, watch, shots)
        show_digest(page, watch, shots)
        record_action(page, watch, shots)
    finally:
        context.close()
    took = time.monotonic() - began
    # The PDF holds the picked quote, the prompt and both stories, and nothing withheld.
    flat = " ".join(printed.split())
    assert QUOTE in flat and PROMPT in flat
    assert "peer mentor met me off the bus" in flat
    assert MARKER not in flat
    print(f"\nfacilitator journey ({size}): {took:.1f} s in the browser")
    assert took < 180, f"building and printing a pack took {took:.0f} s"
    assert watch.problems == []
