"""A researcher's journey in a real browser, on a desktop and a phone screen: log in, search,
filter, chart and export, with no CSP violation, script error or sideways scrolling."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

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
from tests.browser.journey import results_count
from tests.conftest import public_id
from tests.factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# Invented sentences only. WITHHELD's storyteller did not agree to research, and its marker word
# is in no other story, so any sight of it is a leak.
GARDEN = "The allotment helped me more than anything. Growing beans gave my week a shape."
KEYS = (
    "My officer trusted me with the allotment keys, and that trust changed how I saw probation. "
    "The beans were growing well by June."
)
PLOT = "I chose my own allotment plot and for once the choice was mine, not the panel's."
HOSTEL = "At the hostel the staff listened when I said the allotment mattered to me."
KETTLE = "My supervisor trusted me with the kettle rota, which sounds small but mattered."
MARKER = "marmalade"
WITHHELD = f"The allotment was where I met the {MARKER} crowd, and they became my community."


@dataclass
class World:
    """What the journey expects to find."""

    researcher_email: str
    ids: dict[str, int]


@pytest.fixture
def world(publish: Callable[..., Story], factories: Factories) -> World:
    """Five stories for research at two sites, and one whose storyteller did not agree."""
    north, south = factories.site("North Hub"), factories.site("South Hub")
    ids = {
        "garden": publish(GARDEN, themes=("community",), site=north).id,
        "keys": publish(KEYS, themes=("trust", "community"), site=south, voice="peer_mentor").id,
        "plot": publish(PLOT, themes=("choice", "community"), site=south).id,
        "hostel": publish(HOSTEL, themes=("trust",), site=north, voice="staff").id,
        "kettle": publish(KETTLE, themes=("trust",), site=north).id,
        "withheld": publish(
            WITHHELD,
            themes=("community",),
            site=north,
            consent=factories.consent(research=False),
        ).id,
    }
    return World(researcher_email=factories.user("researcher").email, ids=ids)


def search_for(page: Page, words: str) -> None:
    """Type words into the search box and search."""
    page.get_by_label("Words", exact=True).fill(words)
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()


def try_words_and_phrases(page: Page, watch: Watch, size: str, world: World) -> None:
    """A phrase in quotes needs its words together; the withheld story is never found."""
    search_for(page, '"growing beans"')
    assert results_count(page) == 1
    assert (
        page.locator("ol.results")
        .get_by_text(f"Story {public_id(world.ids['garden'])}")
        .is_visible()
    )
    marked = " ".join(page.locator("ol.results mark").all_inner_texts()).lower()
    assert "growing" in marked and "beans" in marked
    check_page(page, watch, size, "search-phrase")
    search_for(page, "growing beans")
    assert results_count(page) == 2
    search_for(page, MARKER)
    assert results_count(page) == 0
    assert MARKER not in page.locator("#results").inner_text().lower()


def filter_by_theme(page: Page, watch: Watch, size: str, world: World) -> None:
    """Words, then a theme facet with its count; matches are marked in each snippet."""
    search_for(page, "allotment")
    assert results_count(page) == 4
    results = page.locator("ol.results")
    for key in ("garden", "keys", "plot", "hostel"):
        assert results.get_by_text(f"Story {public_id(world.ids[key])}", exact=True).is_visible()
    assert results.get_by_text(f"Story {public_id(world.ids['withheld'])}", exact=True).count() == 0
    marks = page.locator("ol.results mark").all_inner_texts()
    assert len(marks) >= 4 and {mark.lower() for mark in marks} == {"allotment"}
    check_page(page, watch, size, "search-words")
    filters = page.locator("details.filters-box")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()
    community = page.get_by_role("checkbox", name=re.compile(r"^Community \(\d+\)$"))
    assert page.locator("label.check", has=community).inner_text().strip() == "Community (3)"
    community.check()
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert results_count(page) == 3
    assert page.get_by_role("checkbox", name=re.compile(r"^Community ")).is_checked()
    assert results.get_by_text(f"Story {public_id(world.ids['hostel'])}", exact=True).count() == 0
    check_page(page, watch, size, "search-filtered")


def open_charts(page: Page, watch: Watch, size: str) -> None:
    """Four SVG charts, each with its table, of the stories the search found."""
    page.get_by_role("link", name="Charts of these stories").click()
    page.get_by_role("heading", level=1, name="Charts of stories").wait_for()
    # Three stories is a small count, so even the total is given only as "fewer than 5".
    assert "fewer than 5 stories" in page.locator("main > p.hint").first.inner_text()
    charts = page.locator("figure.chart-figure > img.chart-image")
    assert charts.count() == 4
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.chart-image')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    for index in range(4):
        assert charts.nth(index).get_attribute("alt")
        box = charts.nth(index).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1, box
    tables = page.locator("table.chart-table")
    assert tables.count() == 4
    for index in range(4):
        assert tables.nth(index).locator("tbody tr").count() >= 1
        assert tables.nth(index).locator("caption").inner_text()
    by_site = page.locator("section[aria-labelledby='by_site-heading'] table").inner_text()
    assert "North Hub" in by_site and "South Hub" in by_site
    check_page(page, watch, size, "charts")
    page.get_by_role("link", name="Back to the search").click()
    page.wait_for_load_state()
    assert results_count(page) == 3


def download(page: Page, watch: Watch, size: str, label: str, folder: Path) -> bytes:
    """Start an export from the menu, watch it being made, and return the file downloaded."""
    if not page.locator("details.export-menu").evaluate("(el) => el.open"):
        page.locator("details.export-menu > summary").click()
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()
    follow_job(page, watch, size, f"export-{label.split()[0].lower()}", "Download the export")
    with page.expect_download() as started:
        page.get_by_role("link", name="Download the export").click()
    downloaded = started.value
    assert downloaded.failure() is None
    path = folder / downloaded.suggested_filename
    downloaded.save_as(path)
    page.go_back()
    page.wait_for_load_state()
    return path.read_bytes()


def download_exports(page: Page, watch: Watch, size: str, world: World, folder: Path) -> None:
    """CSV and .qdpx from the export menu hold the three stories and nothing withheld."""
    page.locator("details.export-menu > summary").click()
    check_page(page, watch, size, "export-menu")
    expected = {world.ids[key] for key in ("garden", "keys", "plot")}
    table = download(page, watch, size, "Stories (CSV)", folder).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert {int(row["story_id"]) for row in rows} == expected
    assert all("community" in row["themes"] for row in rows)
    assert MARKER not in table.lower()
    project = download(page, watch, size, "QualCoder or NVivo project (.qdpx)", folder)
    with zipfile.ZipFile(io.BytesIO(project)) as archive:
        assert "project.qde" in archive.namelist()
        qde = archive.read("project.qde").decode("utf-8")
    for story_id in expected:
        assert f'name="Story {story_id}"' in qde
    assert f'name="Story {world.ids["withheld"]}"' not in qde
    assert MARKER not in qde.lower()


def open_earlier_exports(page: Page, watch: Watch, size: str) -> None:
    """ "Your exports" lists both downloads, with their search."""
    if not page.locator("details.export-menu").evaluate("(el) => el.open"):
        page.locator("details.export-menu > summary").click()
    page.get_by_role("link", name="Your exports").click()
    page.get_by_role("heading", level=1, name="Your exports").wait_for()
    cards = page.locator("main ul.cards > li")
    assert cards.count() == 2
    text = page.locator("main ul.cards").inner_text()
    assert "Stories (CSV)" in text and ".qdpx" in text
    assert text.count("3 stories") == 2 and "“allotment”" in text and "community" in text
    check_page(page, watch, size, "exports")


@pytest.mark.usefixtures("queue_after_a_moment")
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_researcher_searches_charts_and_exports_in_a_real_browser(
    size: str,
    chromium: Browser,
    live_server: LiveServer,
    world: World,
    tmp_path: Path,
) -> None:
    watch = Watch(base_url=live_server.url)
    context, page = new_page(chromium, size, watch)
    shots = f"{size}-research"
    try:
        log_in(page, live_server.url, world.researcher_email, watch, shots)
        open_from_menu(page, "Search stories")
        try_words_and_phrases(page, watch, shots, world)
        filter_by_theme(page, watch, shots, world)
        open_charts(page, watch, shots)
        download_exports(page, watch, shots, world, tmp_path)
        open_earlier_exports(page, watch, shots)
    finally:
        context.close()
    # login, two-step set-up and recovery codes, then 6 pages and the two exports being made
    assert len(watch.visited) == 11
    assert watch.problems == []
