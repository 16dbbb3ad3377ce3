"""A REFI-QDA project (`.qdpx`): a zip of `project.qde` and one plain-text source per story.

The schema (REFI-QDA Project.xsd 1.0) fixes the order of the project's parts: Users, CodeBook,
Variables, Cases, Sources. Stories come one at a time, so each story's case and source are
written to two temporary files as it passes, and its text straight into the zip; project.qde
is put together from those at the end. Nothing holds more than one story's text at a time.

GUIDs are uuid5: codes and variables from their keys (the same in every export), cases,
sources, selections and codings from the export's seed and the story id.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from storybank.core.cells import same_length_clean
from storybank.core.cells import xml_attr
from storybank.core.cells import xml_text
from storybank.exports.engine.records import Codebook
from storybank.exports.engine.records import Excerpt
from storybank.exports.engine.records import ExportStory

NAMESPACE = "urn:QDA-XML:project:1.0"
GUID_ROOT = uuid.UUID("6f1d8a52-3c1e-4b8e-9a57-5d2c0e7b4a10")  # Storybank's own namespace


@dataclass(frozen=True)
class Variable:
    key: str
    name: str
    kind: str  # typeOfVariable: Text | Integer | Date
    value_element: str


VARIABLES = (
    Variable("site", "Site", "Text", "TextValue"),
    Variable("voice", "Voice", "Text", "TextValue"),
    Variable("story_type", "Story type", "Text", "TextValue"),
    Variable("source", "Source", "Text", "TextValue"),
    Variable("approved_on", "Approved date", "Date", "DateValue"),
    Variable("word_count", "Word count", "Integer", "IntegerValue"),
)


def guid(*parts: object) -> str:
    """A GUID that is the same for the same parts."""
    return str(uuid.uuid5(GUID_ROOT, "/".join(str(part) for part in parts)))


def code_guid(key: str) -> str:
    return guid("code", key)


def _codebook_xml(codebook: Codebook, extra_keys: Iterable[str]) -> str:
    codes = [
        f'<Code guid="{code_guid(t.key)}" name="{xml_attr(t.name)}" isCodable="true">'
        f"<Description>{xml_text(t.definition)}</Description></Code>"
        for t in codebook.themes
    ]
    codes += [
        f'<Code guid="{code_guid(key)}" name="{xml_attr(key)}" isCodable="true"/>'
        for key in extra_keys
    ]
    return f"<CodeBook><Codes>{''.join(codes)}</Codes></CodeBook>" if codes else ""


def _variables_xml() -> str:
    items = "".join(
        f'<Variable guid="{guid("variable", v.key)}" name="{xml_attr(v.name)}" '
        f'typeOfVariable="{v.kind}"/>'
        for v in VARIABLES
    )
    return f"<Variables>{items}</Variables>"


def _case_xml(seed: str, story: ExportStory, source_guid: str) -> str:
    values = {
        "site": story.site,
        "voice": story.voice,
        "story_type": story.story_type,
        "source": story.source,
        "approved_on": story.approved_on.isoformat(),
        "word_count": str(story.word_count),
    }
    code_refs = "".join(f'<CodeRef targetGUID="{code_guid(key)}"/>' for key in story.themes)
    variable_values = "".join(
        f'<VariableValue><VariableRef targetGUID="{guid("variable", v.key)}"/>'
        f"<{v.value_element}>{xml_text(values[v.key])}</{v.value_element}></VariableValue>"
        for v in VARIABLES
    )
    return (
        f'<Case guid="{guid(seed, "case", story.story_id)}" name="Story {story.story_id}">'
        f'{code_refs}{variable_values}<SourceRef targetGUID="{source_guid}"/></Case>'
    )


def _coding_xml(seed: str, owner: str, key: str) -> str:
    return (
        f'<Coding guid="{guid(seed, "coding", owner, key)}">'
        f'<CodeRef targetGUID="{code_guid(key)}"/></Coding>'
    )


def _selection_xml(seed: str, story: ExportStory, index: int, excerpt: Excerpt) -> str:
    selection_guid = guid(seed, "selection", story.story_id, index)
    return (
        f'<PlainTextSelection guid="{selection_guid}" '
        f'name="Story {story.story_id}: {xml_attr(excerpt.theme)}" '
        f'startPosition="{excerpt.start}" endPosition="{excerpt.end}">'
        f"{_coding_xml(seed, selection_guid, excerpt.theme)}</PlainTextSelection>"
    )


def _source_xml(seed: str, story: ExportStory, source_guid: str, created: str) -> str:
    selections = "".join(
        _selection_xml(seed, story, index, excerpt) for index, excerpt in enumerate(story.excerpts)
    )
    # A confirmed theme with no passage to point at codes the whole source.
    with_passages = {excerpt.theme for excerpt in story.excerpts}
    whole = "".join(
        _coding_xml(seed, source_guid, key) for key in story.themes if key not in with_passages
    )
    return (
        f'<TextSource guid="{source_guid}" name="Story {story.story_id}" '
        f'plainTextPath="internal://{source_guid}.txt" creationDateTime="{created}">'
        f"{selections}{whole}</TextSource>"
    )


def write_qdpx(
    stories: Iterable[ExportStory],
    codebook: Codebook,
    out: BinaryIO,
    *,
    seed: str,
    name: str,
    created_at: datetime,
    temp_dir: str | None = None,
) -> int:
    """Write a .qdpx project to `out` (seekable or not); return how many stories it holds."""
    created = created_at.replace(microsecond=0).isoformat()
    known = {theme.key for theme in codebook.themes}
    extra: dict[str, None] = {}
    count = 0
    with (
        tempfile.TemporaryFile(dir=temp_dir) as cases,
        tempfile.TemporaryFile(dir=temp_dir) as sources,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
    ):
        for story in stories:
            source_guid = guid(seed, "source", story.story_id)
            text = same_length_clean(story.text).encode("utf-8", "replace")
            with archive.open(f"sources/{source_guid}.txt", "w", force_zip64=True) as entry:
                entry.write(text)
            cases.write(_case_xml(seed, story, source_guid).encode("utf-8"))
            sources.write(_source_xml(seed, story, source_guid, created).encode("utf-8"))
            extra.update((key, None) for key in story.themes if key not in known)
            count += 1
        head = (
            f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{NAMESPACE}" '
            f'name="{xml_attr(name)}" origin="Storybank" creationDateTime="{created}">'
            f"{_codebook_xml(codebook, extra)}{_variables_xml()}"
        )
        with archive.open("project.qde", "w", force_zip64=True) as qde:
            qde.write(head.encode("utf-8"))
            for tag, part in (("Cases", cases), ("Sources", sources)):
                if count:
                    part.seek(0)
                    qde.write(f"<{tag}>".encode())
                    shutil.copyfileobj(part, qde, 1024 * 1024)
                    qde.write(f"</{tag}>".encode())
            qde.write(b"</Project>\n")
    return count
