"""A reporter's journey with a recording, in a real browser: consent first, record with the
microphone (Chromium's fake device playing a real speech clip), pause, listen back, send in
resumable chunks with the progress in view, watch the pipeline, and read the transcript that
tiny.en made. Then the things a weak signal does: a dropped chunk, a page closed before sending."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import av
import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from storybank.extensions import db
from storybank.stories.models import Story
from storybank.uploads.models import ResumableUpload
from tests.browser.conftest import CHROMIUM
from tests.browser.conftest import LiveServer
from tests.browser.journey import VIEWPORTS
from tests.browser.journey import Watch
from tests.browser.journey import check_page
from tests.browser.journey import log_in
from tests.browser.journey import new_page
from tests.conftest import SHARED
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page
    from playwright.sync_api import Route

pytestmark = pytest.mark.browser

CLIP = SHARED / "data" / "audio" / "src" / "jfk.flac"
CHUNK = 64 * 1024

# The recordings this device keeps for the signed-in reporter (the form names its owner).
KEPT = """() => import("/static/keep.js").then((keep) =>
  keep.listKept(document.querySelector("form[data-story-form]").dataset.owner))"""
# True once the device keeps no recording for this reporter.
FORGOTTEN = """(owner) => import("/static/keep.js")
  .then((keep) => keep.listKept(owner)).then((kept) => kept.length === 0)"""
# Tells the test where the upload's progress box was each time it changed (the notes outlive the
# page, which navigates away when the story is saved).
WATCH_PROGRESS = """() => {
  const box = document.querySelector("[data-upload-progress]");
  new MutationObserver(() => {
    const rect = box.getBoundingClientRect();
    window.noteProgress({hidden: box.hidden, top: rect.top, bottom: rect.bottom,
      height: window.innerHeight, text: box.innerText});
  }).observe(box, {attributes: true, childList: true, subtree: true, characterData: true});
}"""


def watch_progress(page: Page) -> list[dict]:
    """Start noting the progress box's states; returns the list the notes go into."""
    notes: list[dict] = []
    page.context.expose_binding("noteProgress", lambda _source, note: notes.append(note))
    page.evaluate(WATCH_PROGRESS)
    return notes


def assert_progress_was_in_view(notes: list[dict]) -> None:
    """The box appeared, showed a percentage, and sat inside the screen while it did."""
    shown = [note for note in notes if not note["hidden"]]
    assert shown, "the progress box never appeared"
    assert any("%" in note["text"] for note in shown), [n["text"] for n in shown]
    for note in shown:
        assert note["top"] >= 0 and note["bottom"] <= note["height"], note


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public JFK clip as 16-bit PCM WAV, which Chromium's fake microphone plays."""
    if not CLIP.exists():
        pytest.skip("the shared test audio is not present")
    target = tmp_path_factory.mktemp("clip") / "speech.wav"
    with av.open(str(CLIP)) as source, av.open(str(target), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=16000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        for frame in source.decode(audio=0):
            for converted in resampler.resample(frame):
                out.mux(stream.encode(converted))
        for packet in stream.encode(None):
            out.mux(packet)
    return target


@pytest.fixture(scope="module")
def microphone_browser(browser_required: None, speech_wav: Path) -> Iterator[Browser]:
    """Chromium with a fake microphone that plays the clip, and no permission prompt."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-audio-capture={speech_wav}",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def app(make_app) -> Flask:
    """The real pipeline (tiny.en, spaCy) on a queue a worker thread takes jobs from, so the
    story page shows the progress as it happens; chunks small enough to be several."""
    return make_app(QUEUE_IMMEDIATE=False, UPLOAD_CHUNK_BYTES=CHUNK)


@pytest.fixture
def worker(app: Flask) -> Iterator[None]:
    """A worker thread running queued jobs, as `storybank worker` would."""
    huey = app.extensions["storybank_queue"].huey
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            task = huey.dequeue()
            if task is None:
                time.sleep(0.1)
            else:
                huey.execute(task)

    thread = threading.Thread(target=work, name="storybank-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=60)


def fill_details(page: Page, title: str) -> None:
    """The story's details, after consent."""
    page.get_by_label("Title").fill(title)
    page.get_by_label("Personal").check()
    page.get_by_label("Person on probation").check()
    page.get_by_label("Storyteller's pseudonym").fill("Sparrow")


def open_form(page: Page, live_server: LiveServer, email: str, watch: Watch, size: str) -> None:
    log_in(page, live_server.url, email, watch, size)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New story").click()
    page.get_by_role("heading", level=1, name="New story").wait_for()


def record(page: Page, watch: Watch, size: str) -> None:
    """Consent, then record about three seconds with a pause in the middle."""
    start = page.get_by_role("button", name="Start recording")
    assert start.is_disabled(), "recording must wait for consent"
    assert page.get_by_text("above first.").is_visible()
    page.get_by_label("Storybank may process and store this story").check()
    page.get_by_label("It may be used in research").check()
    assert start.is_enabled()
    start.click()
    page.get_by_role("button", name="Pause").wait_for()
    page.wait_for_timeout(4000)
    page.get_by_role("button", name="Pause").click()
    timer = page.locator("[data-recorder-timer]")
    paused_at = timer.inner_text()
    page.wait_for_timeout(1200)
    assert timer.inner_text() == paused_at, "the timer stops while paused"
    check_page(page, watch, size, "recording-paused")
    page.get_by_role("button", name="Resume").click()
    page.wait_for_timeout(3500)
    page.get_by_role("button", name="Stop").click()
    page.get_by_role("button", name="Delete and record again").wait_for()
    playback = page.locator("audio[data-recorder-playback]")
    assert playback.is_visible() and playback.get_attribute("src").startswith("blob:")
    assert "Recorded 0:0" in page.locator("[data-recorder-status]").inner_text()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_reporter_records_sends_and_reads_the_transcript(
    microphone_browser: Browser,
    live_server: LiveServer,
    factories: Factories,
    worker: None,
    size: str,
) -> None:
    reporter = factories.user("reporter")
    factories.site("Riverside")
    watch = Watch(live_server.url)
    context, page = new_page(microphone_browser, size, watch, timeout=30_000)
    shots = f"{size}-recording"  # screenshots: test-artifacts/browser/{shots}-NN-name.png
    open_form(page, live_server, reporter.email, watch, shots)
    check_page(page, watch, shots, "new-story-before-consent")
    record(page, watch, shots)
    kept = page.evaluate(KEPT)
    assert len(kept) == 1 and kept[0]["consent"]["processing"] is True
    check_page(page, watch, shots, "recording-done")
    fill_details(page, "Recorded on the phone")
    notes = watch_progress(page)
    page.get_by_role("button", name="Submit the story").click()
    page.get_by_role("heading", level=2, name="Progress").wait_for(timeout=60_000)
    assert_progress_was_in_view(notes)
    story = db.session.scalar(select(Story).where(Story.title == "Recorded on the phone"))
    assert story is not None and story.source_kind == "audio"
    assert story.current_consent.processing and story.current_consent.research
    # The phone forgets its copy once the story holds the recording.
    page.wait_for_function(FORGOTTEN, arg=str(reporter.id))
    check_page(page, watch, shots, "story-progress")
    page.get_by_text("In review").first.wait_for(timeout=120_000)
    page.reload()
    page.get_by_role("link", name="Listen and read the transcript").click()
    transcript = page.locator("[data-transcript]")
    transcript.wait_for()
    print("TRANSCRIPT", transcript.inner_text())
    assert "fellow" in transcript.inner_text().lower()
    check_page(page, watch, shots, "transcript-of-recording")
    context.close()


def test_a_chosen_file_carries_on_after_the_connection_drops(
    microphone_browser: Browser, live_server: LiveServer, factories: Factories, speech_wav: Path
) -> None:
    """The third chunk's connection is cut; the client asks where to carry on and finishes, and
    the story holds the file byte for byte."""
    reporter = factories.user("reporter")
    factories.site("Riverside")
    watch = Watch(live_server.url)
    context, page = new_page(microphone_browser, "phone", watch, timeout=30_000)
    seen: list[str] = []
    cut: list[int] = []

    def drop_third_chunk(route: Route) -> None:
        request = route.request
        seen.append(request.method)
        if request.method == "PATCH" and seen.count("PATCH") == 3 and not cut:
            cut.append(int(request.headers["upload-offset"]))
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/uploads/**", drop_third_chunk)
    open_form(page, live_server, reporter.email, watch, "phone-dropped-chunk")
    page.get_by_label("Storybank may process and store this story").check()
    fill_details(page, "Sent on a weak signal")
    page.get_by_label("Upload the recording").set_input_files(str(speech_wav))
    notes = watch_progress(page)
    page.get_by_role("button", name="Submit the story").click()
    page.get_by_role("heading", level=2, name="Progress").wait_for(timeout=120_000)
    assert_progress_was_in_view(notes)
    assert cut == [2 * CHUNK], seen
    assert "HEAD" in seen, f"the client asks where to carry on: {seen}"
    patches = seen.count("PATCH")
    assert patches == -(-speech_wav.stat().st_size // CHUNK) + 1, seen  # one chunk sent twice
    # The cut connection is the one failure the browser saw, and it was the test's doing.
    dropped = [p for p in watch.problems if "ERR_CONNECTION_RESET" in p]
    assert len(dropped) == 1, watch.problems
    watch.problems.remove(dropped[0])
    story = db.session.scalar(select(Story).where(Story.title == "Sent on a weak signal"))
    assert story.audio.original_sha256 == hashlib.sha256(speech_wav.read_bytes()).hexdigest()
    check_page(page, watch, "phone-dropped-chunk", "story-after-dropped-chunk")
    context.close()


def test_a_recording_survives_closing_the_page_before_it_is_sent(
    microphone_browser: Browser, live_server: LiveServer, factories: Factories
) -> None:
    """Record, close the tab; on the next visit the phone offers the recording, with the consent
    that was given, and sending it makes the story."""
    reporter = factories.user("reporter")
    factories.site("Riverside")
    watch = Watch(live_server.url)
    context, page = new_page(microphone_browser, "phone", watch, timeout=30_000)
    open_form(page, live_server, reporter.email, watch, "phone-closed-tab")
    record(page, watch, "phone-closed-tab")
    page.close()

    page = context.new_page()
    page.goto(f"{live_server.url}/stories/new")
    kept = page.locator("[data-kept-recordings]")
    kept.get_by_text("has not been saved as a story yet").wait_for()
    check_page(page, watch, "phone-closed-tab", "recording-kept-on-phone")
    consent = page.get_by_label("Storybank may process and store this story")
    assert not consent.is_checked()
    kept.get_by_role("button", name="Use this recording").click()
    assert consent.is_checked() and page.get_by_label("It may be used in research").is_checked()
    page.locator("audio[data-recorder-playback]").wait_for()  # visible once loaded from the phone
    fill_details(page, "Kept through a closed tab")
    page.get_by_role("button", name="Submit the story").click()
    page.get_by_role("heading", level=2, name="Progress").wait_for(timeout=60_000)
    story = db.session.scalar(select(Story).where(Story.title == "Kept through a closed tab"))
    assert story is not None and story.audio is not None and story.audio.duration > 5
    page.wait_for_function(FORGOTTEN, arg=str(reporter.id))
    context.close()


def test_nothing_is_sent_before_consent_and_a_refusal_gives_the_form_back(
    microphone_browser: Browser, live_server: LiveServer, factories: Factories, speech_wav: Path
) -> None:
    """A chosen file is not sent until the storyteller's consent is ticked; when the server
    refuses the upload, its words show and the form can be sent again."""
    reporter = factories.user("reporter")
    factories.site("Riverside")
    watch = Watch(live_server.url)
    context, page = new_page(microphone_browser, "phone", watch, timeout=30_000)
    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if "/uploads" in request.url else None
    )
    open_form(page, live_server, reporter.email, watch, "phone-consent-gate")
    fill_details(page, "Not yet agreed")
    page.get_by_label("Upload the recording").set_input_files(str(speech_wav))
    page.get_by_role("button", name="Submit the story").click()
    page.locator("[data-upload-label]").get_by_text("Nothing was sent. First tick").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "consent_processing"
    assert asked == []
    check_page(page, watch, "phone-consent-gate", "consent-needed-before-sending")

    page.route(
        "**/uploads/",
        lambda route: route.fulfill(
            status=413, body="Too large for this test.", headers={"Tus-Resumable": "1.0.0"}
        ),
    )
    page.get_by_label("Storybank may process and store this story").check()
    page.get_by_role("button", name="Submit the story").click()
    page.locator("[data-upload-label]").get_by_text(
        "The server did not accept the recording: Too large"
    ).wait_for()
    assert page.get_by_role("button", name="Submit the story").is_enabled()
    watch.problems.clear()  # the 413 was the test's own answer
    context.close()


def test_deleting_a_part_sent_recording_deletes_it_on_the_server_too(
    microphone_browser: Browser, live_server: LiveServer, factories: Factories
) -> None:
    """A recording whose sending broke off is offered again as "may have been sent"; deleting
    that copy also throws away what reached the server."""
    reporter = factories.user("reporter")
    factories.site("Riverside")
    watch = Watch(live_server.url)
    context, page = new_page(microphone_browser, "phone", watch, timeout=30_000)
    page.route(
        "**/uploads/**",
        lambda route: (
            route.abort("connectionreset") if route.request.method == "PATCH" else route.continue_()
        ),
    )
    open_form(page, live_server, reporter.email, watch, "phone-part-sent")
    record(page, watch, "phone-part-sent")
    fill_details(page, "Broken off")
    page.get_by_role("button", name="Submit the story").click()
    page.locator("[data-upload-label]").get_by_text("The connection dropped").wait_for(
        timeout=60_000
    )
    assert db.session.scalar(select(func.count()).select_from(ResumableUpload)) == 1
    page.close()

    page = context.new_page()
    page.goto(f"{live_server.url}/stories/new")
    kept = page.locator("[data-kept-recordings]")
    kept.get_by_text("It may have been sent already").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    kept.get_by_role("button", name="Delete this copy").click()
    page.wait_for_function(FORGOTTEN, arg=str(reporter.id))
    deadline = time.monotonic() + 10
    while (
        db.session.scalar(select(func.count()).select_from(ResumableUpload))
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
        db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ResumableUpload)) == 0
    assert kept.is_hidden()
    watch.problems[:] = [p for p in watch.problems if "ERR_CONNECTION_RESET" not in p]
    assert watch.problems == []
    context.close()


def test_a_form_refused_after_sending_keeps_the_sent_recording(
    microphone_browser: Browser, live_server: LiveServer, factories: Factories
) -> None:
    """The recording is sent but the title was forgotten: the page says the recording is on the
    server, does not offer it again, and the story is saved once the title is given."""
    reporter = factories.user("reporter")
    factories.site("Riverside")
    watch = Watch(live_server.url)
    context, page = new_page(microphone_browser, "phone", watch, timeout=30_000)
    open_form(page, live_server, reporter.email, watch, "phone-refused-form")
    record(page, watch, "phone-refused-form")
    fill_details(page, "")
    page.get_by_role("button", name="Submit the story").click()
    page.get_by_text("The recording is sent. Fix what is listed above").wait_for()
    assert page.locator(".errors").get_by_role("link", name="Title").is_visible()
    assert page.locator("[data-kept-recordings]").is_hidden()
    # The refused form answers 400, as it should; nothing else went wrong.
    assert all("400" in problem and "/stories/new" in problem for problem in watch.problems)
    watch.problems.clear()
    check_page(page, watch, "phone-refused-form", "form-refused-recording-sent")
    page.get_by_label("Title").fill("Sent before the title")
    page.get_by_role("button", name="Submit the story").click()
    page.get_by_role("heading", level=2, name="Progress").wait_for()
    story = db.session.scalar(select(Story).where(Story.title == "Sent before the title"))
    assert story is not None and story.audio is not None
    assert db.session.scalar(select(func.count()).select_from(ResumableUpload)) == 0
    page.wait_for_function(FORGOTTEN, arg=str(reporter.id))
    context.close()
