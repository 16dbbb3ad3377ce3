"""Shared helpers for real-browser journeys: the screen sizes, a watch on everything that goes
wrong in the browser, a page check with a screenshot, signing in through the real forms, the
steps many journeys take (a form's button, the main menu, a search's count), and output jobs
run a moment after they are queued, with their progress page."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

import pyotp
import pytest
from flask import Flask

from tests.browser.conftest import ARTIFACTS
from tests.browser.conftest import CSP_LISTENER
from tests.browser.conftest import SAVED_SCREENSHOTS
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import BrowserContext
    from playwright.sync_api import ConsoleMessage
    from playwright.sync_api import Locator
    from playwright.sync_api import Page
    from playwright.sync_api import Response

VIEWPORTS = {"desktop": (1280, 800), "phone": (360, 740)}


@dataclass
class Watch:
    """Everything the browser saw go wrong: CSP violations, script errors, failed requests."""

    base_url: str
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        """Listen on a browser context (before any page opens)."""
        context.expose_binding(
            "reportCspViolation", lambda _source, text: self.problems.append(f"CSP: {text}")
        )
        context.add_init_script(CSP_LISTENER)
        context.on("page", self.attach_page)

    def attach_page(self, page: Page) -> None:
        """Record console errors, uncaught exceptions and failed same-site responses."""
        page.on("console", self.check_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", self.check_response)

    def check_console(self, message: ConsoleMessage) -> None:
        """A console error is a script error, a blocked resource or a failed load."""
        if message.type == "error":
            self.problems.append(f"console: {message.text} at {message.location}")

    def check_response(self, response: Response) -> None:
        """A response of 400 or more from the app is a broken link or a failed request."""
        ours = response.url.startswith(self.base_url)
        if ours and response.status >= 400:
            self.problems.append(f"HTTP {response.status} for {response.url}")


def check_page(page: Page, watch: Watch, size: str, name: str) -> None:
    """Nothing scrolls sideways and nothing went wrong; keep a screenshot of the page."""
    overflow = page.evaluate(
        """() => {
          const width = window.innerWidth;
          const wide = [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .filter((el) => !el.closest(".table-scroll"))
            .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
          return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8)};
        }"""
    )
    assert overflow["scroll"] <= overflow["width"] + 1, f"{name} scrolls sideways: {overflow}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{size}-{len(watch.visited) + 1:02d}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SAVED_SCREENSHOTS.append(path)
    watch.visited.append(page.url)
    assert watch.problems == [], f"on {name}: {watch.problems}"


_SECRETS: dict[str, str] = {}


def second_step(page: Page, email: str, watch: Watch, size: str) -> None:
    """Set up two-step sign-in (the first time) or type the app's code, as a person would.

    The code is the next time step's (accepted for clock drift), so the second sign-in
    within one 30-second step does not reuse the code the first one used.
    """
    if page.get_by_role("heading", level=1, name="Set up two-step sign-in").count():
        check_page(page, watch, size, "two-step-set-up")
        assert page.locator("img.qr-code").get_attribute("src").startswith("data:image/svg+xml")
        secret = page.locator("code.secret-key").inner_text().replace(" ", "")
        _SECRETS[email] = secret
        page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        page.get_by_role("heading", level=1, name="Two-step sign-in is on").wait_for()
        check_page(page, watch, size, "two-step-recovery-codes")
        page.get_by_role("link", name="I have kept my codes: continue").click()
    else:
        page.get_by_role("heading", level=1, name="Enter your code").wait_for()
        check_page(page, watch, size, "two-step-code")
        totp = pyotp.TOTP(_SECRETS[email])
        page.get_by_label("Code").fill(totp.at(time.time() + totp.interval))
        page.get_by_role("button", name="Sign in").click()


# What a page after the password step shows: a two-step heading, or the signed-in header.
_AFTER_PASSWORD = (
    'h1:text-is("Set up two-step sign-in"), h1:text-is("Enter your code"), '
    'button:text-is("Log out")'
)


def needs_second_step(page: Page) -> bool:
    """Whether the page after the password asks to set up or to type a two-step code."""
    return bool(
        page.get_by_role("heading", level=1, name="Set up two-step sign-in").count()
        or page.get_by_role("heading", level=1, name="Enter your code").count()
    )


def log_in(page: Page, base_url: str, email: str, watch: Watch, size: str) -> None:
    """Log in through the real form (with its CSRF token), finishing two-step sign-in when the
    account needs it, and stop on the first page after signing in."""
    page.goto(f"{base_url}/login")
    check_page(page, watch, size, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(Factories.PASSWORD)
    assert page.locator("form input[name=csrf_token]").get_attribute("value")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.locator(_AFTER_PASSWORD).first.wait_for()
    if needs_second_step(page):
        second_step(page, email, watch, size)
    page.get_by_role("button", name="Log out").wait_for()


def new_page(
    chromium: Browser, size: str, watch: Watch, timeout: float = 15_000
) -> tuple[BrowserContext, Page]:
    """A browser context of the size, watched from before its first page opens."""
    width, height = VIEWPORTS[size]
    context = chromium.new_context(viewport={"width": width, "height": height})
    watch.attach(context)
    page = context.new_page()
    page.set_default_timeout(timeout)
    return context, page


def press(page: Page, button: Locator) -> None:
    """Click a form's button and wait for the page the form's answer leads to."""
    with page.expect_navigation():
        button.click()


def expect_problems_only_for(watch: Watch, status: int, path: str) -> None:
    """An answer the journey expects (a refusal, a 404) is the only problem recorded; forget it.

    The watch records the response, and Chromium's console reports it too."""
    assert watch.problems, f"expected HTTP {status} for {path}"
    assert watch.problems[0].startswith(f"HTTP {status} for "), watch.problems
    assert watch.problems[0].endswith(path), watch.problems
    assert all(path in problem for problem in watch.problems), watch.problems
    watch.problems.clear()


def flash(page: Page) -> str:
    """The page's messages after an action."""
    return " ".join(page.locator("p.flash").all_inner_texts())


def open_from_menu(page: Page, link: str, heading: str | None = None) -> None:
    """Follow a link in the main navigation and wait for the page's heading (by default the
    link's words)."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
    page.get_by_role("heading", level=1, name=heading or link).wait_for()


def select_text(page: Page, container: str, words: str) -> None:
    """Select words inside one element's text, as dragging the mouse over them would."""
    found = page.evaluate(
        """([container, words]) => {
          const root = document.querySelector(container);
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const node = walker.currentNode;
            const start = node.data.indexOf(words);
            if (start < 0) continue;
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + words.length);
            const selection = document.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return true;
          }
          return false;
        }""",
        [container, words],
    )
    assert found, f"{words!r} is not in {container}"


def results_count(page: Page) -> int:
    """The number in the search page's "N stories found" heading."""
    heading = page.locator("#results-heading").inner_text()
    match = re.fullmatch(r"(\d+) (story|stories) found", heading.strip())
    assert match, heading
    return int(match.group(1))


@pytest.fixture
def queue_after_a_moment(app: Flask) -> Iterator[None]:
    """Run output jobs (PDFs, exports) on a thread a moment after they are queued, as a worker
    would, so that the page shows them waiting and the bar moves without a reload."""
    from storybank.exports import jobs

    threads: list[threading.Thread] = []

    def later(job_id: int) -> None:
        def run() -> None:
            time.sleep(2.5)
            with app.app_context():
                jobs.run_output_job(job_id)

        thread = threading.Thread(target=run, name=f"output-job-{job_id}", daemon=True)
        threads.append(thread)
        thread.start()

    real = jobs._enqueue
    jobs._enqueue = later  # type: ignore[assignment]
    try:
        yield
    finally:
        jobs._enqueue = real  # type: ignore[assignment]
        for thread in threads:
            thread.join(timeout=60)


def follow_job(page: Page, watch: Watch, size: str, name: str, download: str) -> None:
    """On a job's page: the bar is in view at once (on a phone too), says what it is doing
    while the job waits or runs, and fills; then the download appears."""
    bar = page.locator("section.job progress")
    bar.wait_for()
    box = bar.bounding_box()
    assert box and box["y"] + box["height"] <= page.viewport_size["height"], box
    label = page.locator("section.job [aria-live=polite]")
    assert bar.get_attribute("aria-labelledby") == label.get_attribute("id")
    assert re.search(r"Waiting to start|Making", label.inner_text()), label.inner_text()
    page.get_by_role("link", name=download).wait_for(state="visible")
    assert bar.evaluate("(el) => el.value") == 1
    assert label.inner_text().startswith("Ready")
    check_page(page, watch, size, name)
