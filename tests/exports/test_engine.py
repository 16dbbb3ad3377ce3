"""The export writers on their own: plain records in, files out, read back with the usual tools."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc
import zipfile
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from storybank.core.cells import spreadsheet_cell
from storybank.exports.engine import Codebook
from storybank.exports.engine import Excerpt
from storybank.exports.engine import ExportInfo
from storybank.exports.engine import ExportStory
from storybank.exports.engine import Theme
from storybank.exports.engine import excerpts_csv
from storybank.exports.engine import json_chunks
from storybank.exports.engine import matrix_csv
from storybank.exports.engine import stories_csv
from storybank.exports.engine import write_qdpx

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "Project.xsd")))
NS = {"q": "urn:QDA-XML:project:1.0"}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

CODEBOOK = Codebook(
    3,
    (
        Theme("trust", "Trust", "Being believed & relied on <by staff>."),
        Theme("choice", "Choice", "Having a say in what happens next."),
        Theme("community", "Community", "Belonging somewhere."),
    ),
)
GARDEN = "The allotment helped me more than anything. [PERSON 1] showed me how to grow beans."
KETTLE = "My supervisor trusted me with the kettle rota, which sounds small but mattered."


def story(story_id: int, text: str, themes=(), excerpts=(), **fields) -> ExportStory:
    values = {
        "site": "North hub",
        "voice": "Person on probation",
        "story_type": "Personal",
        "source": "Written",
        "approved_on": date(2031, 3, 4),
        "word_count": len(text.split()),
    }
    values.update(fields)
    return ExportStory(
        story_id, text=text, themes=tuple(themes), excerpts=tuple(excerpts), **values
    )


def garden() -> ExportStory:
    start = GARDEN.index("[PERSON 1]")
    return story(
        7,
        GARDEN,
        ("community", "choice"),
        (Excerpt("community", start, len(GARDEN)), Excerpt("community", 0, 43)),
    )


def read_csv(chunks) -> list[list[str]]:
    data = b"".join(chunks).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data)))


def qdpx(stories, codebook=CODEBOOK) -> zipfile.ZipFile:
    out = io.BytesIO()
    write_qdpx(
        stories,
        codebook,
        out,
        seed="export/1",
        name="Export 1",
        created_at=datetime(2031, 5, 6, tzinfo=UTC),
    )
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


def project(archive: zipfile.ZipFile) -> etree._Element:
    root = etree.fromstring(archive.read("project.qde"))
    SCHEMA.assertValid(root)
    return root


def test_stories_csv_has_one_row_per_story_with_themes_and_anonymised_text():
    rows = read_csv(stories_csv([garden(), story(8, KETTLE, ("trust",))], CODEBOOK))
    header = rows[0]
    assert header[:7] == [
        "story_id",
        "site",
        "voice",
        "story_type",
        "source",
        "approved_on",
        "word_count",
    ]
    assert [row[0] for row in rows[1:]] == ["7", "8"]
    first = dict(zip(header, rows[1], strict=True))
    assert first["themes"] == "community; choice"
    assert first["theme_names"] == "Community; Choice"
    assert first["text"] == GARDEN
    assert first["approved_on"] == "2031-03-04"


def test_excerpts_csv_cuts_each_excerpt_from_the_anonymised_text():
    rows = read_csv(excerpts_csv([garden(), story(8, KETTLE, ("trust",))], CODEBOOK))
    header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header[:5] == ["theme", "theme_name", "start", "end", "excerpt"]
    assert [row["excerpt"] for row in body] == [
        "[PERSON 1] showed me how to grow beans.",
        "The allotment helped me more than anything.",
    ]
    assert all(row["story_id"] == "7" and row["site"] == "North hub" for row in body)
    for row in body:
        assert GARDEN[int(row["start"]) : int(row["end"])] == row["excerpt"]


def test_the_matrix_has_a_column_per_theme_of_zeros_and_ones():
    rows = read_csv(matrix_csv([garden(), story(8, KETTLE, ("trust",))], CODEBOOK))
    assert rows[0][-3:] == ["trust", "choice", "community"]
    assert rows[1][-3:] == ["0", "1", "1"]
    assert rows[2][-3:] == ["1", "0", "0"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_a_spreadsheet_would_run_as_formulas_are_made_inert(start):
    text = f'{start}HYPERLINK("http://example.org","click") was written on the wall.'
    rows = read_csv(stories_csv([story(1, text, site=f"{start}1+1")], CODEBOOK))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["text"] == "'" + text
    assert row["site"] == f"'{start}1+1"
    assert spreadsheet_cell(5) == 5 and spreadsheet_cell("plain") == "plain"


def test_excerpt_cells_are_made_inert_too():
    text = "-5 degrees at the bus stop and nobody came."
    rows = read_csv(
        excerpts_csv([story(1, text, ("trust",), (Excerpt("trust", 0, 10),))], CODEBOOK)
    )
    assert rows[1][4] == "'-5 degrees"


def test_json_is_one_valid_document_with_codebook_stories_and_excerpts():
    info = ExportInfo(4, datetime(2031, 5, 6, tzinfo=UTC), "json", {"q": "beans"}, 2)
    document = json.loads(b"".join(json_chunks(info, CODEBOOK, [garden(), story(8, KETTLE)])))
    assert document["export"] == {
        "id": 4,
        "created_at": "2031-05-06T00:00:00+00:00",
        "format": "json",
        "filter": {"q": "beans"},
        "story_count": 2,
    }
    assert [t["key"] for t in document["codebook"]["themes"]] == ["trust", "choice", "community"]
    first, second = document["stories"]
    assert first["text"] == GARDEN and second["excerpts"] == []
    assert first["excerpts"][0]["text"] == "[PERSON 1] showed me how to grow beans."
    assert set(first) >= {"story_id", "site", "voice", "themes", "approved_on", "word_count"}


def test_json_with_no_stories_and_awkward_characters_is_still_valid():
    info = ExportInfo(4, datetime(2031, 5, 6, tzinfo=UTC), "json", {}, 0)
    assert json.loads(b"".join(json_chunks(info, CODEBOOK, [])))["stories"] == []
    odd = story(2, 'A "quoted" line\nwith a tab\t, a bell \x07 and a brace }]')
    assert (
        json.loads(b"".join(json_chunks(info, CODEBOOK, [odd])))["stories"][0]["text"] == odd.text
    )


def test_qdpx_is_a_valid_refi_qda_project_with_codes_cases_variables_and_sources():
    archive = qdpx([garden(), story(8, KETTLE, ("trust",))])
    root = project(archive)
    assert root.tag == "{urn:QDA-XML:project:1.0}Project"
    assert [etree.QName(child).localname for child in root] == [
        "CodeBook", "Variables", "Cases", "Sources",
    ]  # fmt: skip
    codes = root.findall("q:CodeBook/q:Codes/q:Code", NS)
    assert [code.get("name") for code in codes] == ["Trust", "Choice", "Community"]
    assert codes[0].findtext("q:Description", namespaces=NS) == CODEBOOK.themes[0].definition
    assert all(code.get("isCodable") == "true" for code in codes)
    variables = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind(".//q:Variable", NS)}
    assert variables == {
        "Site": "Text",
        "Voice": "Text",
        "Story type": "Text",
        "Source": "Text",
        "Approved date": "Date",
        "Word count": "Integer",
    }
    cases = root.findall("q:Cases/q:Case", NS)
    assert [case.get("name") for case in cases] == ["Story 7", "Story 8"]
    assert cases[0].find("q:VariableValue/q:DateValue", NS).text == "2031-03-04"
    sources = root.findall("q:Sources/q:TextSource", NS)
    assert cases[0].find("q:SourceRef", NS).get("targetGUID") == sources[0].get("guid")
    every_guid = [element.get("guid") for element in root.iter() if element.get("guid")]
    assert all(GUID.match(value) for value in every_guid)
    assert len(every_guid) == len(set(every_guid))


def test_qdpx_selections_point_at_the_anonymised_excerpts_and_their_codes():
    archive = qdpx([garden()])
    root = project(archive)
    source = root.find("q:Sources/q:TextSource", NS)
    path = source.get("plainTextPath")
    assert path == f"internal://{source.get('guid')}.txt"
    text = archive.read("sources/" + path.removeprefix("internal://")).decode("utf-8")
    assert text == GARDEN
    codes = {code.get("guid"): code.get("name") for code in root.iterfind(".//q:Code", NS)}
    found = []
    for selection in source.iterfind("q:PlainTextSelection", NS):
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        code = codes[selection.find("q:Coding/q:CodeRef", NS).get("targetGUID")]
        found.append((code, text[start:end]))
    assert found == [
        ("Community", "[PERSON 1] showed me how to grow beans."),
        ("Community", "The allotment helped me more than anything."),
    ]
    # "choice" is confirmed but has no passage: it codes the whole source.
    whole = [
        codes[c.find("q:CodeRef", NS).get("targetGUID")] for c in source.findall("q:Coding", NS)
    ]
    assert whole == ["Choice"]


def test_qdpx_holds_characters_xml_cannot_and_markup_safely():
    text = 'Line one\x01 with a bell\x07 & <b>bold</b> "quotes" and a form feed\x0c end.'
    themes = Codebook(1, (Theme("t\x02", 'Name <with> "markup" & \x1b escape', "Def \x00 &"),))
    archive = qdpx(
        [story(3, text, ("t\x02",), (Excerpt("t\x02", 0, 8),), site="Site \x0b <A&B>")], themes
    )
    root = project(archive)
    assert root.find(".//q:Code", NS).get("name") == 'Name <with> "markup" &  escape'
    assert root.find(".//q:Case/q:VariableValue/q:TextValue", NS).text == "Site  <A&B>"
    source = root.find(".//q:TextSource", NS)
    stored = archive.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
    assert len(stored) == len(text)  # offsets still fit
    assert "\x01" not in stored and stored.count("\ufffd") == 3


def test_qdpx_with_no_stories_and_an_empty_codebook_is_still_valid():
    root = project(qdpx([], Codebook(None, ())))
    assert [etree.QName(child).localname for child in root] == ["Variables"]


def test_qdpx_guids_are_the_same_for_the_same_export():
    first = qdpx([garden()]).read("project.qde")
    assert qdpx([garden()]).read("project.qde") == first


def _peak(write) -> int:
    tracemalloc.start()
    try:
        write()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_writers_stream_without_holding_every_story(tmp_path):
    """Stories of 2,000 characters each: what memory grows by per story is far below that."""
    body = ("We planted beans and talked about the week. " * 45)[:2000]

    def many(count):
        for number in range(count):
            yield story(number + 1, body, ("trust",), (Excerpt("trust", 0, 40),))

    def csv_of(count):
        return lambda: all(len(chunk) < 200_000 for chunk in excerpts_csv(many(count), CODEBOOK))

    def qdpx_of(count):
        def write():
            with open(tmp_path / "out.qdpx", "wb") as out:
                write_qdpx(
                    many(count), CODEBOOK, out, seed="s", name="n", created_at=datetime.now(UTC)
                )

        return write

    csv_growth = (_peak(csv_of(6000)) - _peak(csv_of(2000))) / 4000
    qdpx_growth = (_peak(qdpx_of(6000)) - _peak(qdpx_of(2000))) / 4000
    assert csv_growth < 50  # nothing kept per story
    # The zip keeps one small record per file it holds (about 400 bytes), never the text.
    assert qdpx_growth < 800
