"""The codebook as CSV, and as a REFI-QDA codebook (.qdc) for QualCoder, NVivo and ATLAS.ti."""

from __future__ import annotations

import csv
import io
import uuid
from xml.etree import ElementTree

from storybank.core.cells import spreadsheet_cell
from storybank.core.cells import strip_non_xml
from storybank.tag.models import CodebookVersion

# Stable GUIDs: the same theme key gives the same code in every export.
_NAMESPACE = uuid.UUID("9b8d6a52-3f0e-4c7e-9d77-5a3c1f0b2e61")
QDC_NAMESPACE = "urn:QDA-XML:codebook:1.0"
_COLOURS = ("#1F5F8B", "#B7791F", "#2E7D32", "#7B1FA2", "#C62828", "#00838F")


def codebook_csv(codebook: CodebookVersion) -> str:
    """Return the codebook as CSV: one row per theme, lists joined by ' | ', no cell a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "codebook_version",
            "key",
            "name",
            "definition",
            "indicators",
            "positive_examples",
            "negative_examples",
            "retired",
        ]
    )
    for theme in codebook.themes:
        row = [
            codebook.version,
            theme.key,
            theme.name,
            theme.definition,
            " | ".join(theme.indicators),
            " | ".join(theme.positive_examples),
            " | ".join(theme.negative_examples),
            "yes" if theme.retired else "no",
        ]
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return buffer.getvalue()


def codebook_qdc(codebook: CodebookVersion) -> bytes:
    """Return the codebook in the REFI-QDA codebook exchange format (.qdc)."""
    # Plain names under an explicit xmlns: ElementTree's prefix registry is global, so
    # registering a default namespace would change how every other XML writer names things.
    root = ElementTree.Element(
        "CodeBook", {"xmlns": QDC_NAMESPACE, "origin": f"Storybank codebook v{codebook.version}"}
    )
    codes = ElementTree.SubElement(root, "Codes")
    for position, theme in enumerate(codebook.themes):
        code = ElementTree.SubElement(
            codes,
            "Code",
            {
                "guid": str(uuid.uuid5(_NAMESPACE, theme.key)),
                "name": strip_non_xml(theme.name),
                "isCodable": "false" if theme.retired else "true",
                "color": _COLOURS[position % len(_COLOURS)],
            },
        )
        description = theme.definition
        if theme.indicators:
            description += "\n\nIndicators: " + "; ".join(theme.indicators)
        for heading, examples in (
            ("Examples", theme.positive_examples),
            ("Not this theme", theme.negative_examples),
        ):
            if examples:
                description += f"\n\n{heading}:\n" + "\n".join(f"- {e}" for e in examples)
        ElementTree.SubElement(code, "Description").text = strip_non_xml(description)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
