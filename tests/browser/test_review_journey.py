"""A reviewer's journey in a real browser, on a desktop and a phone screen: open a recorded
story in review, add a redaction by selecting words, take one away, relabel one, hide a
stretch of the recording by selecting transcript words, sign off and approve."""

from __future__ import annotations

import io
import re
import time
import wave
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pytest
from flask import Flask

from storybank.anonymise.engine import Detection
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import AudioHide
from storybank.anonymise.models import Redaction
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.stories.services import AudioUpload
from storybank.stories.services import submit_story
from storybank.transcribe.engine import Segment
from storybank.transcribe.engine import Transcript
from storybank.transcribe.engine import Word
from tests.browser.conftest import LiveServer
from tests.browser.journey import VIEWPORTS
from tests.browser.journey import Watch
from tests.browser.journey import check_page
from tests.browser.journey import log_in
from tests.browser.journey import select_text
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Locator
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

RATE = 16_000
SECONDS = 9.0

# Invented sentences, as a fake Whisper hears them. "Tregony" is found with the wrong label,
# "Hope" is found although it is no one's name, and "Pendower Road" is not found at all.
LINES = (
    (
        " Morwenna met me at Tregony station every Monday.",
        (
            Word(0.4, 0.9, " Morwenna", 0.92),
            Word(0.9, 1.1, " met", 0.95),
            Word(1.1, 1.2, " me", 0.95),
            Word(1.2, 1.4, " at", 0.95),
            Word(1.4, 1.9, " Tregony", 0.88),
            Word(1.9, 2.3, " station", 0.93),
            Word(2.4, 2.7, " every", 0.94),
            Word(2.7, 3.2, " Monday.", 0.91),
        ),
    ),
    (
        " She told me Hope grows if you water it.",
        (
            Word(3.6, 3.8, " She", 0.95),
            Word(3.8, 4.0, " told", 0.95),
            Word(4.0, 4.1, " me", 0.95),
            Word(4.1, 4.5, " Hope", 0.9),
            Word(4.5, 4.8, " grows", 0.9),
            Word(4.8, 4.9, " if", 0.95),
            Word(4.9, 5.0, " you", 0.95),
            Word(5.0, 5.3, " water", 0.9),
            Word(5.3, 5.5, " it.", 0.93),
        ),
    ),
    (
        " Now we live on Pendower Road together.",
        (
            Word(6.0, 6.2, " Now", 0.95),
            Word(6.2, 6.3, " we", 0.95),
            Word(6.3, 6.5, " live", 0.95),
            Word(6.5, 6.6, " on", 0.95),
            Word(6.6, 7.1, " Pendower", 0.8),
            Word(7.1, 7.4, " Road", 0.9),
            Word(7.4, 7.9, " together.", 0.92),
        ),
    ),
)
EVERY, MONDAY = 6, 7  # the words whose stretch of the recording the reviewer hides
RELEASED = (
    "[PERSON 1] met me at [PLACE 1] station every Monday. She told me Hope grows if you "
    "water it. Now we live on [PLACE 2] together."
)


class HeardTranscriber:
    """Stands in for Whisper: the three lines above, with word timings."""

    def transcribe(self, audio, on_progress=None):
        segments = tuple(
            Segment(words[0].start, words[-1].end, text, words) for text, words in LINES
        )
        return Transcript(" ".join(text.strip() for text, _ in LINES), "en", SECONDS, segments)


class PartlyRightFinder:
    """Finds a name rightly, a place as an organisation, and a word that is no one's name."""

    FOUND = (
        (r"\bMorwenna\b", "PERSON", 0.9),
        (r"\bTregony\b", "ORG", 0.7),
        (r"\bHope\b", "PERSON", 0.55),
    )

    def detect(self, text, known_names=(), lists=None):
        return [
            Detection(match.start(), match.end(), label, "ner", score, match.group())
            for pattern, label, score in self.FOUND
            for match in re.finditer(pattern, text)
        ]


def tone_wav() -> bytes:
    """Nine seconds of a steady 440 Hz tone, 16-bit mono: something for the pipeline to hear."""
    times = np.arange(int(RATE * SECONDS)) / RATE
    samples = (0.4 * 32767 * np.sin(2 * np.pi * 440.0 * times)).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(samples.tobytes())
    return buffer.getvalue()


@pytest.fixture
def app(make_app) -> Flask:
    """The app with a fake Whisper and a fake finder, so that the journey knows what it finds."""
    return make_app(TRANSCRIBER_FACTORY=HeardTranscriber, ANONYMISER_FACTORY=PartlyRightFinder)


@dataclass
class World:
    """Who reviews, and the recorded story waiting for them."""

    reviewer_email: str
    story_id: int


@pytest.fixture
def world(factories: Factories) -> World:
    """A recorded story, transcribed and with redactions proposed, waiting for review."""
    reporter = factories.user("reporter")
    draft = factories.draft(
        title="Monday mornings",
        text="",
        audio=AudioUpload(stream=io.BytesIO(tone_wav()), filename="mondays.wav"),
    )
    story = submit_story(reporter, draft)
    db.session.refresh(story)
    assert story.status == "in_review", story.failure_reason
    return World(reviewer_email=factories.user("facilitator").email, story_id=story.id)


def press(page: Page, button: Locator) -> None:
    """Click a form's button and wait for the page the form's answer leads to."""
    with page.expect_navigation():
        button.click()


def flash(page: Page) -> str:
    """The page's messages after an action."""
    return " ".join(page.locator("p.flash").all_inner_texts())


def select_words(page: Page, first: int, last: int) -> None:
    """Select transcript words from one to another, across the spans that hold them."""
    page.evaluate(
        """([first, last]) => {
          const from = document.querySelector(`.word[data-word="${first}"]`).firstChild;
          const to = document.querySelector(`.word[data-word="${last}"]`).firstChild;
          const range = document.createRange();
          range.setStart(from, 0);
          range.setEnd(to, to.data.length);
          const selection = document.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }""",
        [first, last],
    )


def item_for(page: Page, words: str) -> Locator:
    """The entry for one redaction in the list of redactions."""
    item = page.locator("ol.redaction-list > li", has=page.get_by_text(words, exact=True))
    assert item.count() == 1, f"{item.count()} redactions of {words!r}"
    return item


def open_redactions(page: Page, watch: Watch, size: str) -> None:
    """From the queue, open the story's review and then its redactions."""
    page.get_by_role("heading", level=1, name="Stories waiting for review").wait_for()
    check_page(page, watch, size, "review-queue")
    page.get_by_role("link", name="Monday mornings").click()
    page.get_by_role("heading", level=1, name="Review “Monday mornings”").wait_for()
    assert page.get_by_role("button", name="Approve").is_disabled()
    assert "sign off the redactions first" in page.locator("#approve-blocked").inner_text()
    check_page(page, watch, size, "review")
    page.get_by_role("link", name="Review the redactions").click()
    page.get_by_role("heading", level=1, name="Redactions: “Monday mornings”").wait_for()
    assert page.locator("ol.redaction-list > li").count() == 3
    assert page.locator("span.word[data-word]").count() == sum(len(w) for _, w in LINES)
    check_page(page, watch, size, "redactions")


def add_by_selecting(page: Page, watch: Watch, size: str) -> None:
    """Select "Pendower Road" in the story; the form fills in; hide it as a place."""
    select_text(page, "[data-redactable]", "Pendower Road")
    page.wait_for_function(
        "() => document.querySelector('[data-selection-label]').textContent"
        ".includes('Pendower Road')"
    )
    assert page.locator("#add-start").input_value() != ""
    page.get_by_label("What is it?").select_option(label="Place or address")
    check_page(page, watch, size, "redaction-selected")
    press(page, page.get_by_role("button", name="Hide these words", exact=True))
    assert "Redaction added." in flash(page)
    item = item_for(page, "Pendower Road")
    assert "[PLACE" in item.inner_text() and "accepted" in item.inner_text()


def remove_one(page: Page) -> None:
    """ "Hope" is no one's name here: show it."""
    press(page, item_for(page, "Hope").get_by_role("button", name="Show, not an identifier"))
    item = item_for(page, "Hope")
    assert "(shown)" in item.inner_text() and "rejected" in item.inner_text()
    assert "Hope grows" in page.locator("section", has_text="What others will read").inner_text()


def relabel_one(page: Page, watch: Watch, size: str) -> None:
    """Tregony is a place, not an organisation."""
    item = item_for(page, "Tregony")
    assert "Organisation" in item.locator(".meta").inner_text()
    item.get_by_label("Label").select_option(label="Place or address")
    press(page, item.get_by_role("button", name="Relabel and hide"))
    assert "Relabelled as Place; hidden." in flash(page)
    item = item_for(page, "Tregony")
    assert "found as Organisation" in item.inner_text() and "[PLACE" in item.inner_text()
    check_page(page, watch, size, "redactions-decided")


def hide_stretch(page: Page, watch: Watch, size: str) -> None:
    """Select "every Monday" in the transcript and hide that stretch of the recording."""
    select_words(page, EVERY, MONDAY)
    page.wait_for_function(
        "() => document.querySelector('[data-word-selection]').textContent"
        ".includes('every Monday.')"
    )
    form = page.locator("form[data-hide-words]")
    assert form.get_by_label("First word").input_value() == str(EVERY)
    assert form.get_by_label("Last word").input_value() == str(MONDAY)
    press(page, page.get_by_role("button", name="Hide these words in the recording"))
    assert "Those words will be beeped in the released copy" in flash(page)
    hidden = page.locator("#hidden-stretches ul.hide-list > li")
    assert hidden.count() == 1
    assert "“every Monday.”" in hidden.inner_text()
    assert page.locator('.word[data-word="6"]').get_attribute("class") == "word hidden-audio"
    check_page(page, watch, size, "stretch-hidden")


def sign_off_and_approve(page: Page, watch: Watch, size: str) -> None:
    """Sign off (the one undecided redaction is hidden), hear the copy is there, approve."""
    preview = page.locator("section", has_text="What others will read").locator(".story-text")
    assert " ".join(preview.inner_text().split()) == RELEASED
    press(page, page.get_by_role("button", name=re.compile(r"^Sign off the redactions")))
    page.get_by_role("heading", level=1, name="Review “Monday mornings”").wait_for()
    assert "Redactions signed off." in flash(page)
    assert page.locator(".note").get_by_text("Redactions signed off").is_visible()
    check_page(page, watch, size, "signed-off")
    page.get_by_role("link", name="See or change them").click()
    page.locator("#released-audio audio").wait_for()
    check_page(page, watch, size, "released-audio")
    page.get_by_role("link", name="Back to the review").click()
    page.get_by_role("heading", level=1, name="Review “Monday mornings”").wait_for()
    press(page, page.get_by_role("button", name="Approve"))
    page.get_by_role("heading", level=1, name="Stories waiting for review").wait_for()
    assert "Approved." in flash(page)
    assert page.get_by_role("link", name="Monday mornings").count() == 0
    check_page(page, watch, size, "approved")


def read_approved(page: Page, watch: Watch, size: str) -> None:
    """In the approved stories, the story reads with placeholders and no names."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approved stories").click()
    page.get_by_role("heading", level=1, name="Approved stories").wait_for()
    assert "1 story." in page.locator("main p.meta").first.inner_text()
    check_page(page, watch, size, "approved-stories")
    page.locator("main ul.cards > li a").click()
    page.locator("main .story-text").wait_for()
    assert " ".join(page.locator("main .story-text").inner_text().split()) == RELEASED
    content = page.content()
    for name in ("Morwenna", "Tregony", "Pendower"):
        assert name not in content
    check_page(page, watch, size, "approved-story")


def assert_recorded(app: Flask, world: World) -> None:
    """The database holds what the reviewer did."""
    with app.app_context():
        story = db.session.get(Story, world.story_id)
        assert story.status == "approved"
        body = story.current_text.body
        found = {
            body[r.start : r.end]: (r.status, r.label, r.detected_label)
            for r in db.session.scalars(db.select(Redaction).where(Redaction.story_id == story.id))
        }
        assert found["Morwenna"][:2] == ("accepted", "PERSON")
        assert found["Tregony"] == ("accepted", "LOCATION", "ORG")
        assert found["Hope"][0] == "rejected"
        assert found["Pendower Road"][:2] == ("accepted", "LOCATION")
        assert len(found) == 4
        hide = db.session.scalar(db.select(AudioHide).where(AudioHide.story_id == story.id))
        assert (hide.from_word, hide.to_word) == (EVERY, MONDAY)
        assert hide.start_seconds < 2.4 and hide.end_seconds > 3.2
        anonymisation = db.session.scalar(
            db.select(Anonymisation).where(Anonymisation.story_id == story.id)
        )
        assert anonymisation.signed_off_at is not None
        assert anonymisation.audio_status == "ready", anonymisation.audio_problem


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_reviewer_redacts_hides_audio_signs_off_and_approves_in_a_real_browser(
    size: str, chromium: Browser, live_server: LiveServer, world: World
) -> None:
    width, height = VIEWPORTS[size]
    shots = f"{size}-review"
    watch = Watch(base_url=live_server.url)
    context = chromium.new_context(viewport={"width": width, "height": height})
    watch.attach(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    began = time.monotonic()
    try:
        log_in(page, live_server.url, world.reviewer_email, watch, shots)
        open_redactions(page, watch, shots)
        add_by_selecting(page, watch, shots)
        remove_one(page)
        relabel_one(page, watch, shots)
        hide_stretch(page, watch, shots)
        sign_off_and_approve(page, watch, shots)
        read_approved(page, watch, shots)
    finally:
        context.close()
    print(f"\nreview journey ({size}): {time.monotonic() - began:.1f} s in the browser")
    assert_recorded(live_server.app, world)
    assert watch.problems == []
