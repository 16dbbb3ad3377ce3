"""The chart engine: valid, inert, deterministic SVG that never encodes a suppressed count."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from storybank.charts.engine import CountTable
from storybank.charts.engine import Row
from storybank.charts.engine import draw_chart
from storybank.charts.engine import inert_svg
from storybank.core.small_counts import complementary_cells
from storybank.core.small_counts import hidden_count
from storybank.core.small_counts import shown_count

NAMES = ("over_time", "by_voice", "by_site", "together")
EVIL = "<script>alert(1)</script>"
THEMES = (("trust", "Trust"), ("choice", EVIL), ("community", "Community & belonging"))


def table(name: str, counts: list[list[int]], threshold: int = 5, labels=THEMES) -> CountTable:
    columns = {
        "over_time": (("2025-Q1", "2025 Q1"), ("2025-Q2", "2025 Q2"), ("2025-Q3", "2025 Q3")),
        "by_voice": (("staff", "Staff"), ("peer_mentor", "Peer mentor"), ("x", "Family")),
        "by_site": (("1", EVIL), ("2", "North & South"), ("3", "West")),
        "together": labels,
    }[name]
    rows = tuple(
        Row(key, label, tuple(shown_count(c, threshold) for c in row))
        for (key, label), row in zip(labels, counts, strict=True)
    )
    return CountTable(name, f"Title of {name}", "Theme", "Column", columns, rows, threshold)


COUNTS = [[12, 0, 7], [3, 20, 9], [15, 8, 1]]


@pytest.mark.parametrize("name", NAMES)
def test_every_chart_is_valid_inert_svg(name):
    svg = draw_chart(table(name, COUNTS))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img" and root.get("viewBox")
    assert root.find("{http://www.w3.org/2000/svg}title").text == f"Title of {name}"
    lowered = svg.lower()
    for forbidden in ("<script", "<style", "style=", "onload", "javascript:", "<foreignobject"):
        assert forbidden not in lowered, forbidden
    assert not re.search(r"\bon\w+=", lowered)
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg  # fit to sit inline in a page


@pytest.mark.parametrize("name", NAMES)
def test_labels_from_admins_are_escaped_text(name):
    svg = draw_chart(table(name, COUNTS))
    assert EVIL not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    texts = [el.text or "" for el in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(EVIL in text for text in texts)  # shown as the words it is, never run


@pytest.mark.parametrize("name", NAMES)
def test_the_same_counts_give_the_same_bytes(name):
    assert draw_chart(table(name, COUNTS)) == draw_chart(table(name, COUNTS))


def test_ids_are_prefixed_so_charts_can_share_a_page():
    ids = []
    for name in NAMES:
        root = ET.fromstring(draw_chart(table(name, COUNTS)))  # noqa: S314 - our own output
        ids += [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))


def _with_hidden(name: str, hidden: int) -> list[list[int]]:
    if name == "together":  # symmetric: both halves hold the hidden count
        return [[12, hidden, 7], [hidden, 20, 9], [7, 9, 6]]
    return [[12, 0, 7], [hidden, 20, 9], [15, 8, 6]]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("hidden", [2, 3, 4])
def test_a_suppressed_count_draws_the_same_whatever_it_hides(name, hidden):
    """Counts 1 to 4 under a threshold of 5 give byte-identical drawings: no length, height,
    colour or text can tell them apart."""
    assert draw_chart(table(name, _with_hidden(name, hidden))) == draw_chart(
        table(name, _with_hidden(name, 1))
    )
    assert f">{hidden}<" not in draw_chart(table(name, _with_hidden(name, hidden)))


@pytest.mark.parametrize("name", NAMES)
def test_a_suppressed_count_is_marked_fewer_than_n(name):
    svg = draw_chart(table(name, COUNTS))
    assert "fewer than 5" in svg
    assert draw_chart(table(name, COUNTS, threshold=10)).count("fewer than 10") >= 1


def test_a_table_with_no_rows_says_so():
    empty = CountTable("by_site", "Themes by site", "Theme", "Site", (), (), 5)
    assert "No stories to chart." in draw_chart(empty)


def test_inert_svg_removes_what_could_run_or_leave_the_page():
    dirty = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        "<style>*{fill:red}</style><script>alert(1)</script>"
        '<rect id="r" onclick="alert(1)" style="fill: #fff; behaviour: x" '
        'clip-path="url(#c)" mask="url(https://evil.example/x)"/>'
        '<use xlink:href="https://evil.example/a.svg#x"/><use xlink:href="#r"/>'
        "<foreignObject><p>hi</p></foreignObject><a href='https://evil.example'><text>x</text></a>"
        "</svg>"
    )
    clean = inert_svg(dirty, prefix="p", title="T")
    for forbidden in ("script", "style", "onclick", "evil.example", "foreignObject", "behaviour"):
        assert forbidden not in clean, forbidden
    assert 'fill="#fff"' in clean and 'clip-path="url(#p-c)"' in clean
    assert 'href="#p-r"' in clean and 'id="p-r"' in clean


def test_the_svg_keeps_its_own_namespace_whatever_else_registered_one():
    ET.register_namespace("", "urn:example:other-writer")  # as another XML writer might
    try:
        svg = draw_chart(table("by_voice", COUNTS, threshold=5))
    finally:
        ET._namespace_map.pop("urn:example:other-writer", None)
    opening = svg.split(">", 1)[0]
    assert opening.startswith("<svg ") and 'xmlns="http://www.w3.org/2000/svg"' in opening
    assert "ns0:" not in svg and "ns1:" not in svg and "xlink:" not in svg


@pytest.mark.parametrize("name", ["over_time", "by_voice", "by_site"])
def test_a_count_hidden_to_protect_a_small_one_shows_no_number(name):
    """A complementary hidden count (not small) draws without its number, and says why."""
    drawn = table(name, [[40, 3, 9], [6, 6, 6], [0, 0, 0]])
    rows = list(drawn.rows)
    rows[0] = Row(rows[0].key, rows[0].label, (shown_count(40), shown_count(3), hidden_count()))
    svg = draw_chart(
        CountTable(name, drawn.title, "Theme", "Column", drawn.columns, tuple(rows), 5)
    )
    assert ">9<" not in svg
    assert "protects a small count" in svg


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ([12, 3, 7], {2}),  # one small: the smallest other above zero hides too
        ([12, 3, 4], set()),  # two small already share their sum
        ([0, 3, 0], set()),  # nothing else to hide: the total is small as well
        ([5, 1, 5], {0}),  # equal candidates: the first
        ([12, 0, 7], set()),  # nothing small
    ],
)
def test_complementary_cells(counts, hidden):
    assert complementary_cells(counts, 5) == hidden
