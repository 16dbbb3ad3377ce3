"""axe-core on every main page, at laptop and phone widths, for the roles that use them: no
serious or critical violation. axe is vendored (tests/browser/vendor) and checked by hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import url_for

from storybank.curate.builder import add_story_to_pack
from storybank.curate.events import EventDetails
from storybank.curate.events import create_event
from storybank.curate.renders import start_pack_render
from storybank.exports.background import start_export
from storybank.extensions import db
from storybank.search.query import SearchQuery
from storybank.stories.models import Story
from tests.browser.conftest import LiveServer
from tests.browser.journey import VIEWPORTS
from tests.browser.journey import Watch
from tests.browser.journey import log_in
from tests.browser.journey import new_page
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
GRAVE = ("serious", "critical")
# WCAG 2.1 A and AA, and axe's best practices (landmarks, headings, region).
RUN_AXE = """async () => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""


@dataclass
class World:
    """Who signs in, and the pages each of them checks."""

    admin_email: str
    reporter_email: str
    pages: dict[str, list[tuple[str, str]]]  # role -> (name, path)


def axe_source() -> str:
    """The vendored axe-core, refused if it is not the copy the README names."""
    data = AXE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == AXE_SHA256, "tests/browser/vendor/axe.min.js changed"
    return data.decode("utf-8")


@pytest.fixture
def world(app, publish: Callable[..., Story], factories: Factories) -> World:
    """An approved story in an event's pack, one in review, and the people who see them."""
    admin = factories.user("admin")
    approved = publish(
        "The peer mentor at the hub listened first and the advice came later.",
        themes=("trust", "community"),
    )
    waiting = factories.story(
        publish.reporter, status="in_review", text="I chose my course myself."
    )
    event = create_event(
        admin,
        EventDetails("Autumn conversation", date.today() + timedelta(days=7), "Hall", admin.id),
    )
    add_story_to_pack(admin, event.id, approved.id, "Shows trust being earned")
    # Files made in the background: one ready, one ready to download, one failed with a retry.
    pack_job = start_pack_render(admin, event.id, "pdf")
    export_job = start_export(admin, SearchQuery(text="mentor"), "stories_csv")
    failed_job = start_export(admin, SearchQuery(text="mentor"), "json")
    failed_job.status, failed_job.error = "failed", "The disk was full. Try again."
    db.session.commit()
    with app.test_request_context():
        admin_pages = [
            ("review-queue", url_for("review.queue")),
            ("review", url_for("review.review", story_id=waiting.id)),
            ("redactions", url_for("anonymise.review", story_id=waiting.id)),
            ("library", url_for("stories.library")),
            ("story", url_for("stories.detail", story_id=approved.id)),
            ("events", url_for("events.index")),
            ("event", url_for("events.show", event_id=event.id)),
            ("pack", url_for("events.pack", event_id=event.id)),
            ("quotes", url_for("events.pick_quotes", event_id=event.id, story_id=approved.id)),
            ("digest", url_for("events.digest", event_id=event.id)),
            ("search", url_for("research.search", q="mentor")),
            ("charts", url_for("charts.index")),
            ("exports", url_for("exports.index")),
            ("export-job", url_for("exports.job", job_id=export_job.id)),
            ("export-job-failed", url_for("exports.job", job_id=failed_job.id)),
            ("pack-render-job", url_for("events.render", event_id=event.id, job_id=pack_job.id)),
            ("users", url_for("admin.users")),
            ("user", url_for("admin.user", user_id=publish.reporter.id)),
            ("sites", url_for("admin.sites")),
            ("audit", url_for("admin.audit_log")),
            ("codebook", url_for("themes.codebook")),
            ("identifier-lists", url_for("anonymise.lists")),
            ("two-step", url_for("auth.two_step")),
            ("tokens", url_for("api_tokens.index")),
        ]
        reporter_pages = [
            ("my-stories", url_for("stories.mine")),
            ("new-story", url_for("stories.new")),
            ("own-story", url_for("stories.detail", story_id=waiting.id)),
            ("consent", url_for("privacy.consent", story_id=approved.id)),
        ]
    return World(
        admin_email=admin.email,
        reporter_email=publish.reporter.email,
        pages={"admin": admin_pages, "reporter": reporter_pages},
    )


def violations(page: Page, source: str) -> list[dict[str, object]]:
    """axe's serious and critical violations on the page as it stands."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)  # through DevTools, so the page's CSP does not block it
    found = page.evaluate(RUN_AXE)
    return [item for item in found if item["impact"] in GRAVE]


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_main_pages_have_no_serious_accessibility_violations(
    size: str, chromium: Browser, live_server: LiveServer, world: World
) -> None:
    source = axe_source()
    report: dict[str, list[dict[str, object]]] = {}
    checked = 0
    for role, email in (("reporter", world.reporter_email), ("admin", world.admin_email)):
        watch = Watch(base_url=live_server.url)
        context, page = new_page(chromium, size, watch, timeout=20_000)
        try:
            if role == "reporter":
                page.goto(f"{live_server.url}/login")
                report["login"] = violations(page, source)
                checked += 1
            log_in(page, live_server.url, email, watch, f"{size}-accessibility-{role}")
            for name, path in world.pages[role]:
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state()
                report[name] = violations(page, source)
                checked += 1
        finally:
            context.close()
        assert watch.problems == [], watch.problems
    grave = {name: found for name, found in report.items() if found}
    print(f"\naxe at {size}: {checked} pages, {sum(map(len, grave.values()))} serious or critical")
    assert grave == {}, json.dumps(grave, indent=1)
