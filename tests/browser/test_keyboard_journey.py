"""A reporter's journey with the keyboard only, on a desktop and a phone screen: log in, open
the New story form, fill in consent, the story's details and its text, and submit it, with
Tab, Space and Enter and no clicks. Every Tab stop shows where the focus is and has a name."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

import pytest

from storybank.extensions import db
from storybank.stories.models import Story
from tests.browser.conftest import LiveServer
from tests.browser.journey import VIEWPORTS
from tests.browser.journey import Watch
from tests.browser.journey import check_page
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import CDPSession
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

TITLE = "Saturday shifts"
PSEUDONYM = "Wren"
# Invented sentences only.
TEXT = (
    "The volunteer at the food bank remembered my name on my second visit. That small thing "
    "made me come back, and now I help out on Saturday mornings."
)
MOST_TAB_STOPS = 60  # on one page, before the test gives up looking for a control

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    type: el.getAttribute("type") || "",
    inside: !el.matches(":focus"),
    outline: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    shadow: style.boxShadow,
    box: {left: box.left, top: box.top, right: box.right, bottom: box.bottom,
          width: box.width, height: box.height},
    viewport: {width: window.innerWidth, height: window.innerHeight},
  };
}"""


@dataclass
class Stop:
    """One Tab stop: the element that has the focus, its accessible name and its focus style."""

    tag: str
    id: str
    type: str
    inside: bool  # the focus is on a part of the browser's own control, such as a date's picker
    role: str
    name: str
    outline: str
    outline_width: float
    shadow: str
    box: dict[str, float]
    viewport: dict[str, float]

    def describe(self) -> str:
        return f"<{self.tag} id={self.id!r} type={self.type!r}> {self.role} {self.name!r}"


@dataclass
class Keyboard:
    """Presses keys on a page and checks every Tab stop it passes."""

    page: Page
    cdp: CDPSession
    stops: list[Stop] = field(default_factory=list)

    def focused(self) -> Stop:
        """The focused element, with the accessible name Chromium gives it."""
        info = self.page.evaluate(FOCUSED)
        handle = self.cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})
        tree = self.cdp.send(
            "Accessibility.getPartialAXTree",
            {"objectId": handle["result"]["objectId"], "fetchRelatives": False},
        )
        node = tree["nodes"][0]
        return Stop(
            tag=info["tag"],
            id=info["id"],
            type=info["type"],
            inside=info["inside"],
            role=node.get("role", {}).get("value", ""),
            name=str(node.get("name", {}).get("value", "")).strip(),
            outline=info["outline"],
            outline_width=info["outlineWidth"],
            shadow=info["shadow"],
            box=info["box"],
            viewport=info["viewport"],
        )

    def tab(self) -> Stop:
        """Press Tab; the new stop must be named, shown and marked."""
        self.page.keyboard.press("Tab")
        stop = self.focused()
        assert stop.tag != "body", "Tab left the page's controls"
        return self.check(stop)

    def check(self, stop: Stop) -> Stop:
        """A Tab stop has an accessible name, a focus indicator, and is on the screen."""
        assert stop.name, f"no accessible name: {stop.describe()}"
        marked = (stop.outline != "none" and stop.outline_width > 0) or stop.shadow != "none"
        # A date field's last stop is its calendar button, inside Chromium's own control, which
        # Chromium rings itself; the page's styles cannot reach it.
        marked = marked or (stop.inside and stop.type == "date")
        assert marked, f"no visible focus indicator: {stop.describe()} {stop.outline}"
        box, viewport = stop.box, stop.viewport
        assert box["width"] > 0 and box["height"] > 0, f"invisible: {stop.describe()} {box}"
        assert box["left"] >= -1 and box["right"] <= viewport["width"] + 1, (
            f"off screen: {stop.describe()} {box}"
        )
        assert box["top"] < viewport["height"] and box["bottom"] > 0, (
            f"scrolled out of view: {stop.describe()} {box}"
        )
        self.stops.append(stop)
        return stop

    def tab_to(self, wanted: Callable[[Stop], bool], what: str) -> Stop:
        """Press Tab until the focus reaches the control wanted."""
        for _ in range(MOST_TAB_STOPS):
            stop = self.tab()
            if wanted(stop):
                return stop
        raise AssertionError(f"{what} is not reachable with Tab")

    def to_field(self, element_id: str) -> Stop:
        """Tab to the form control with this id."""
        return self.tab_to(lambda stop: stop.id == element_id, f"#{element_id}")

    def to_named(self, role: str, name: str) -> Stop:
        """Tab to the control with this role and accessible name."""
        return self.tab_to(lambda stop: (stop.role, stop.name) == (role, name), f"{role} {name}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def type(self, words: str) -> None:
        self.page.keyboard.type(words)


def log_in(keys: Keyboard, base_url: str, email: str, watch: Watch, size: str) -> None:
    """The login form by keyboard: the skip link comes first; Enter sends the form."""
    page = keys.page
    page.goto(f"{base_url}/login")
    check_page(page, watch, size, "login")
    first = keys.tab()
    assert (first.role, first.name) == ("link", "Skip to content")
    keys.to_field("email")
    keys.type(email)
    keys.to_field("password")
    keys.type(Factories.PASSWORD)
    keys.to_named("button", "Log in")
    with page.expect_navigation():
        keys.press("Enter")
    page.get_by_role("heading", level=1, name="My stories").wait_for()
    check_page(page, watch, size, "my-stories")


def open_new_story(keys: Keyboard, watch: Watch, size: str) -> None:
    """From My stories, the main navigation's New story link."""
    keys.to_named("link", "New story")
    with keys.page.expect_navigation():
        keys.press("Enter")
    keys.page.get_by_role("heading", level=1, name="New story").wait_for()


def fill_in_story(keys: Keyboard, watch: Watch, size: str) -> None:
    """Skip the navigation, tick consent with Space, choose options, type the text."""
    page = keys.page
    first = keys.tab()
    assert (first.role, first.name) == ("link", "Skip to content")
    keys.press("Enter")  # the next Tab starts inside the main content
    keys.to_field("consent_processing")
    keys.press("Space")
    keys.to_field("consent_events")
    keys.press("Space")
    keys.to_field("consent_research")
    keys.press("Space")
    assert page.locator("#consent_processing").is_checked()
    assert page.locator("#consent_research").is_checked()
    assert not page.locator("#consent_audio_at_events").is_checked()
    keys.to_field("title")
    keys.type(TITLE)
    # A radio group is one Tab stop; Space chooses the option that has the focus.
    story_type = keys.tab_to(lambda stop: stop.type == "radio", "the story type")
    assert story_type.id.startswith("story_type")
    keys.press("Space")
    voice = keys.tab_to(lambda stop: stop.type == "radio", "the voice")
    assert voice.id.startswith("voice")
    keys.press("Space")
    keys.to_field("site_id")  # one site, already chosen
    keys.to_field("storyteller_pseudonym")
    keys.type(PSEUDONYM)
    keys.to_field("text")
    keys.type(TEXT)
    check_page(page, watch, size, "new-story-filled")


def submit(keys: Keyboard, watch: Watch, size: str) -> None:
    """Enter on the submit button reaches the new story's page."""
    keys.to_named("button", "Submit the story")
    with keys.page.expect_navigation():
        keys.press("Enter")
    keys.page.get_by_role("heading", level=1, name=TITLE).wait_for()
    check_page(keys.page, watch, size, "story")


def tab_through_story_page(keys: Keyboard) -> list[str]:
    """Every control after the focus's starting point on the story page is a marked, named Tab
    stop; returns their names. The form was sent from the skip link's #main, so the story page
    opens at #main too and the first Tab goes into its content."""
    names: list[str] = []
    for _ in range(MOST_TAB_STOPS):
        keys.press("Tab")
        stop = keys.focused()
        if stop.tag == "body":  # past the last control: the focus left the page
            return names
        names.append(keys.check(stop).name)
    raise AssertionError("the story page has more Tab stops than expected")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_reporter_submits_a_written_story_with_the_keyboard_only(
    size: str, chromium: Browser, live_server: LiveServer, factories: Factories
) -> None:
    reporter = factories.user("reporter")
    factories.site("Harbour Hub")
    width, height = VIEWPORTS[size]
    shots = f"{size}-keyboard"
    watch = Watch(base_url=live_server.url)
    context = chromium.new_context(viewport={"width": width, "height": height})
    watch.attach(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    keys = Keyboard(page=page, cdp=context.new_cdp_session(page))
    began = time.monotonic()
    try:
        log_in(keys, live_server.url, reporter.email, watch, shots)
        open_new_story(keys, watch, shots)
        fill_in_story(keys, watch, shots)
        submit(keys, watch, shots)
        on_story_page = tab_through_story_page(keys)
    finally:
        context.close()
    print(
        f"\nkeyboard journey ({size}): {len(keys.stops)} Tab stops checked, "
        f"{time.monotonic() - began:.1f} s"
    )
    assert "Read the original text" in on_story_page
    assert "Change or withdraw consent" in on_story_page
    db.session.commit()  # see the rows the server's threads wrote
    story = db.session.scalar(db.select(Story).where(Story.reporter_id == reporter.id))
    assert story is not None
    assert (story.title, story.storyteller_pseudonym, story.source_kind) == (
        TITLE,
        PSEUDONYM,
        "text",
    )
    assert story.current_text.body == TEXT
    consent = story.current_consent
    assert (consent.processing, consent.events, consent.research) == (True, True, True)
    assert consent.audio_at_events is False
    assert story.status == "in_review", story.failure_reason
    assert watch.problems == []
