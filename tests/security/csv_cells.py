"""The cells of a CSV the app writes, and the check that a payload in them cannot run as a
spreadsheet formula yet is kept word for word."""

from __future__ import annotations

import csv
import io

from storybank.tag.models import CodebookVersion
from storybank.tag.models import ThemeDefinition

# What a spreadsheet takes as the start of a formula (OWASP's CSV injection page).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(data: str | bytes) -> list[str]:
    """Every cell of every row, in order."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_cell_runs(data: str | bytes, payload: str) -> None:
    """No cell starts as a formula, and the payload is there as written (quoted if it would run)."""
    found = cells(data)
    assert [cell for cell in found if cell.startswith(FORMULA_STARTS)] == []
    expected = "'" + payload if payload.startswith(FORMULA_STARTS) else payload
    assert expected in found, "the value is kept word for word (quoted if it would run)"


def codebook_with(text: str, version: int) -> CodebookVersion:
    """A codebook of one theme with the text in every field a person writes."""
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
    return CodebookVersion(version=version, themes=[theme])
