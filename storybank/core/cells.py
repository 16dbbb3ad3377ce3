"""Make values safe: spreadsheet cells that cannot run as formulas, XML that always parses."""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 cannot hold: C0 controls other than tab, newline and carriage return,
# lone surrogates, and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def spreadsheet_cell(value: object) -> object:
    """Return the value, with a text that a spreadsheet would read as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def strip_non_xml(value: str) -> str:
    """Remove the characters XML 1.0 cannot hold (for writers that escape the rest themselves)."""
    return _NOT_XML.sub("", value)


def xml_text(value: str) -> str:
    """Remove what XML 1.0 cannot hold, then escape for element content."""
    cleaned = strip_non_xml(value)
    return (
        cleaned.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#13;")
    )


def xml_attr(value: str) -> str:
    """Remove what XML 1.0 cannot hold, then escape for a double-quoted attribute."""
    return xml_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def same_length_clean(text: str) -> str:
    """Replace each character XML cannot hold by U+FFFD, so that character offsets still fit."""
    return _NOT_XML.sub("\ufffd", text)
