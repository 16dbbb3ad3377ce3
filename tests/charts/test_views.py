"""The charts page and downloads: inline SVG fit for the strict CSP, tables, and suppression."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from storybank.core.security import CONTENT_SECURITY_POLICY

EVIL = "<script>alert(1)</script>"
TEXT = "The allotment helped me more than anything. Growing beans gave my week a shape."


@pytest.fixture
def page_world(publish, factories):
    """Six stories about trust at a site with a hostile name; one also about choice."""
    site = factories.site(EVIL)
    for n in range(6):
        themes = ("trust", "choice") if n == 0 else ("trust",)
        publish(f"{TEXT} Week {n}.", themes=themes, site=site)
    return site


def test_the_page_shows_every_chart_with_a_table_and_the_suppression_note(
    client, login_as, factories, page_world
):
    login_as(factories.user("researcher"))
    response = client.get("/research/charts?q=beans&theme=trust")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.get_data(as_text=True)
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('<img class="chart-image"') == 4 and html.count("<caption") == 4
    assert "<svg" not in html and "<style" not in html  # drawings come by their own request
    assert not re.search(r"\sstyle=\"", html.split("<main", 1)[1])  # nothing CSP would block
    assert 'scope="col"' in html and 'scope="row"' in html
    assert 'class="table-scroll" role="region"' in html and 'tabindex="0"' in html
    assert "fewer than 5" in html and "So that nobody can be picked out" in html
    assert "/research/?q=beans&amp;theme=trust" in html  # back to the same search
    assert "/research/charts/by_site.svg?q=beans&amp;theme=trust&amp;period=quarter" in html
    assert "charts.css" in html
    assert "6 stories" in html


def test_a_chart_downloads_as_an_svg_file(client, login_as, factories, page_world):
    login_as(factories.user("researcher"))
    response = client.get("/research/charts/together.svg?theme=trust")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="storybank-together.svg"'
    )
    root = ET.fromstring(response.get_data())  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    month = client.get("/research/charts/over_time.svg?period=month")
    assert month.status_code == 200 and b"Month approved" in month.get_data()


def test_a_bad_search_says_so_and_charts_everything(client, login_as, factories, page_world):
    login_as(factories.user("researcher"))
    response = client.get("/research/charts?from=yesterday")
    assert response.status_code == 400
    assert "Give dates as YYYY-MM-DD." in response.get_data(as_text=True)
    assert client.get("/research/charts/by_site.svg?from=nope").status_code == 400


def test_with_no_stories_the_page_says_so(client, login_as, factories):
    login_as(factories.user("admin"))
    html = client.get("/research/charts").get_data(as_text=True)
    assert "No stories to chart." in html
