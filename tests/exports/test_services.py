"""Research exports through the real services, on whichever database the suite runs on."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from storybank.anonymise.services import released_text
from storybank.core.audit import AuditEvent
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.exports.models import ExportedStory
from storybank.exports.models import ExportManifest
from storybank.exports.services import KINDS
from storybank.exports.services import export_stories
from storybank.exports.services import exports_holding
from storybank.exports.services import my_exports
from storybank.exports.services import write_export
from storybank.extensions import db
from storybank.privacy.services import ConsentUses
from storybank.privacy.services import change_consent
from storybank.privacy.services import erase_story
from storybank.search.query import SearchQuery
from storybank.tag.models import StoryTheme
from tests.conftest import public_id

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "Project.xsd")))
NS = {"q": "urn:QDA-XML:project:1.0"}

# Invented sentences only.
GARDEN = "The allotment helped me more than anything. Growing beans gave my week a shape."
NAMED = (
    "I met Margaret Thompson at the allotment last spring. "
    "She trusted me with the keys to the shed, and that mattered more than she knew."
)
KETTLE = "My supervisor trusted me with the kettle rota, which sounds small but mattered."
SECRET_WORDS = ("Margaret", "Thompson", "A bike for work", "Robin")


def full_export(actor, kind: str, query: SearchQuery | None = None) -> bytes:
    return b"".join(export_stories(actor, query or SearchQuery(), kind).chunks)


def set_evidence(story, theme: str, *sentences: str) -> None:
    """Point a confirmed theme's evidence at sentences of the ORIGINAL text (as the tagger does)."""
    original = story.current_text.body
    row = db.session.scalar(
        db.select(StoryTheme).where(StoryTheme.story_id == story.id, StoryTheme.theme_key == theme)
    )
    row.evidence = [
        {"start": original.index(s), "end": original.index(s) + len(s), "score": 0.9}
        for s in sentences
    ]
    db.session.commit()


@pytest.fixture
def stories(publish):
    """A named story (the name is redacted) and a plain one, with evidence for their themes."""
    named = publish(NAMED, ("trust", "community"))
    set_evidence(named, "trust", "She trusted me with the keys to the shed")
    set_evidence(named, "community", "I met Margaret Thompson at the allotment last spring.")
    garden = publish(GARDEN, ("community",))
    set_evidence(garden, "community", "Growing beans gave my week a shape.")
    return named, garden


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_anonymiser_redacted_the_name_in_the_released_text(stories):
    named, _ = stories
    released = released_text(named)
    assert "Thompson" not in released.text and "[PERSON 1]" in released.text


def test_stories_csv_lists_each_story_with_themes_and_anonymised_text(stories, researcher):
    named, garden = stories
    rows = read_csv(full_export(researcher, "stories_csv"))
    assert [int(row["story_id"]) for row in rows] == [named.id, garden.id]
    assert rows[0]["themes"] == "community; trust"
    assert rows[0]["text"] == released_text(named).text
    assert rows[1]["voice"] and rows[1]["site"]


def test_excerpts_are_cut_from_the_anonymised_text_with_the_name_redacted(stories, researcher):
    named, garden = stories
    rows = read_csv(full_export(researcher, "excerpts_csv"))
    excerpts = [(int(row["story_id"]), row["theme"], row["excerpt"]) for row in rows]
    assert excerpts == [
        (named.id, "community", "I met [PERSON 1] at the allotment last spring."),
        (named.id, "trust", "She trusted me with the keys to the shed"),
        (garden.id, "community", "Growing beans gave my week a shape."),
    ]
    text = released_text(named).text
    assert all(text[int(r["start"]) : int(r["end"])] == r["excerpt"] for r in rows[:2])


def test_the_matrix_marks_confirmed_themes_only(stories, researcher):
    named, garden = stories
    rows = {int(row["story_id"]): row for row in read_csv(full_export(researcher, "matrix_csv"))}
    assert (rows[named.id]["trust"], rows[named.id]["community"], rows[named.id]["choice"]) == (
        "1",
        "1",
        "0",
    )
    assert (rows[garden.id]["trust"], rows[garden.id]["community"]) == ("0", "1")


def test_json_holds_the_export_the_codebook_and_the_stories(stories, researcher):
    named, _ = stories
    document = json.loads(full_export(researcher, "json", SearchQuery(text="allotment")))
    assert document["export"]["filter"]["q"] == "allotment"
    assert document["export"]["story_count"] == 2
    assert {t["key"] for t in document["codebook"]["themes"]} >= {"trust", "choice", "community"}
    first = document["stories"][0]
    assert first["story_id"] == named.id
    assert first["excerpts"][0]["text"] == "I met [PERSON 1] at the allotment last spring."


def test_qdpx_is_valid_and_its_selections_are_the_anonymised_excerpts(stories, researcher):
    named, _ = stories
    archive = zipfile.ZipFile(io.BytesIO(full_export(researcher, "qdpx")))
    root = etree.fromstring(archive.read("project.qde"))
    SCHEMA.assertValid(root)
    codes = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", NS)}
    source = root.find("q:Sources/q:TextSource", NS)
    assert source.get("name") == f"Story {named.id}"
    text = archive.read("sources/" + source.get("plainTextPath").removeprefix("internal://"))
    text = text.decode("utf-8")
    assert text == released_text(named).text
    selections = [
        (
            codes[s.find("q:Coding/q:CodeRef", NS).get("targetGUID")],
            text[int(s.get("startPosition")) : int(s.get("endPosition"))],
        )
        for s in source.iterfind("q:PlainTextSelection", NS)
    ]
    assert selections == [
        ("Community", "I met [PERSON 1] at the allotment last spring."),
        ("Trust", "She trusted me with the keys to the shed"),
    ]
    case = root.find("q:Cases/q:Case", NS)
    assert case.find("q:SourceRef", NS).get("targetGUID") == source.get("guid")
    assert len(case.findall("q:VariableValue", NS)) == 6


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_export_carries_a_redacted_name_a_title_or_a_pseudonym(stories, researcher, kind):
    data = full_export(researcher, kind)
    if kind == "qdpx":
        archive = zipfile.ZipFile(io.BytesIO(data))
        data = b"".join(archive.read(name) for name in archive.namelist())
    for words in SECRET_WORDS:
        assert words.encode() not in data, words


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_stories_without_research_consent_never_appear(publish, factories, researcher, kind):
    kept = publish(GARDEN, ("community",))
    publish("The kettle rota story nobody may research.", consent=factories.consent(research=False))
    narrowed = publish(KETTLE, ("trust",))
    change_consent(
        publish.reporter,
        narrowed.id,
        ConsentUses(events=True, research=False, audio_at_events=False),
    )
    data = write_export(researcher, SearchQuery(), kind, out := io.BytesIO()) and out.getvalue()
    if kind == "qdpx":
        archive = zipfile.ZipFile(io.BytesIO(data))
        data = b"".join(archive.read(name) for name in archive.namelist())
    assert b"kettle" not in data.lower()
    manifest = db.session.scalar(db.select(ExportManifest).order_by(ExportManifest.id.desc()))
    held = db.session.scalars(
        db.select(ExportedStory.story_id).where(ExportedStory.manifest_id == manifest.id)
    )
    assert list(held) == [kept.id]


def test_consent_narrowed_after_the_manifest_leaves_the_story_out_of_the_file(stories, researcher):
    named, garden = stories
    prepared = export_stories(researcher, SearchQuery(), "stories_csv")
    change_consent(
        named.reporter, named.id, ConsentUses(events=True, research=False, audio_at_events=False)
    )
    rows = read_csv(b"".join(prepared.chunks))
    assert [int(row["story_id"]) for row in rows] == [garden.id]
    # The manifest still names it: whoever may have it is told rather than missed.
    assert db.session.get(ExportManifest, prepared.manifest_id).story_count == 2


def test_the_manifest_records_who_which_stories_versions_consent_and_filter(stories, researcher):
    named, garden = stories
    query = SearchQuery(text="allotment", themes=("community",), sort="oldest")
    manifest = write_export(researcher, query, "excerpts_csv", io.BytesIO())
    assert (manifest.user_id, manifest.format, manifest.story_count) == (
        researcher.id,
        "excerpts_csv",
        2,
    )
    assert manifest.filter["q"] == "allotment" and manifest.filter["themes"] == ["community"]
    assert manifest.codebook_version is not None
    held = db.session.scalars(
        db.select(ExportedStory).where(ExportedStory.manifest_id == manifest.id)
    ).all()
    assert {(h.story_id, h.text_version_id, h.consent_record_id) for h in held} == {
        (s.id, s.current_text.id, s.current_consent.id) for s in (named, garden)
    }
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.target_type == "export"))
    assert (event.actor_id, event.target_id, event.action) == (
        researcher.id,
        manifest.id,
        "research_exported",
    )
    assert event.details == {"kind": "excerpts_csv", "count": "2"}  # the log keeps strings
    assert [m.id for m in my_exports(researcher)] == [manifest.id]


def test_evidence_of_another_text_version_is_left_out(stories, researcher):
    named, garden = stories
    row = db.session.scalar(
        db.select(StoryTheme).where(
            StoryTheme.story_id == named.id, StoryTheme.theme_key == "trust"
        )
    )
    row.text_version_id = garden.current_text.id  # offsets into some other text
    db.session.commit()
    themes = [r["theme"] for r in read_csv(full_export(researcher, "excerpts_csv"))]
    assert "trust" not in themes


def test_after_erasure_admins_still_see_which_exports_held_the_story(stories, researcher, publish):
    named_id, garden_id = (story.id for story in stories)
    manifest = write_export(researcher, SearchQuery(), "qdpx", io.BytesIO())
    erase_story(publish.admin, named_id)
    holdings = exports_holding(publish.admin, named_id)
    assert [(h.manifest_id, h.user_id, h.user_email) for h in holdings] == [
        (manifest.id, researcher.id, researcher.email)
    ]
    assert exports_holding(publish.admin, garden_id)[0].manifest_id == manifest.id
    assert exports_holding(publish.admin, 987654) == []


@pytest.mark.parametrize("role", ["reporter", "facilitator"])
def test_only_researchers_and_admins_export(factories, publish, role):
    publish(GARDEN)
    with pytest.raises(NotAllowed):
        export_stories(factories.user(role), SearchQuery(), "json")
    assert db.session.scalar(db.select(db.func.count()).select_from(ExportManifest)) == 0
    assert read_csv(full_export(publish.admin, "stories_csv"))[0]["text"] == GARDEN


def test_only_admins_see_who_received_a_story(researcher, factories):
    with pytest.raises(NotAllowed):
        exports_holding(researcher, 1)
    with pytest.raises(NotAllowed):
        exports_holding(factories.user("facilitator"), 1)


def test_an_unknown_format_is_not_found(researcher):
    with pytest.raises(NotFound):
        export_stories(researcher, SearchQuery(), "xlsx")


def test_download_streams_with_its_type_filename_and_no_store(
    stories, researcher, client, login_as
):
    login_as(researcher)
    with client.get(
        "/research/export/stories_csv?q=allotment&theme=community", buffered=True
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="storybank-stories-')
        assert disposition.endswith('.csv"')
        assert "no-store" in response.headers["Cache-Control"]
        assert len(read_csv(response.data)) == 2
    with client.get("/research/export/qdpx", buffered=True) as qdpx:
        assert qdpx.headers["Content-Type"] == "application/zip"
        assert zipfile.ZipFile(io.BytesIO(qdpx.data)).read("project.qde").startswith(b"<?xml")
    page = client.get("/research/exports")
    assert page.status_code == 200 and b"allotment" in page.data
    assert b"QualCoder or NVivo" in page.data


def test_a_bad_filter_is_refused_before_anything_is_recorded(researcher, client, login_as):
    login_as(researcher)
    assert client.get("/research/export/json?from=yesterday").status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(ExportManifest)) == 0


def test_the_admin_page_shows_who_received_an_erased_story(
    stories, researcher, publish, client, login_as
):
    named_id = stories[0].id
    write_export(researcher, SearchQuery(), "json", io.BytesIO())
    erase_story(publish.admin, named_id)
    login_as(publish.admin)
    page = client.get(f"/research/exports/holding?story={public_id(named_id)}")
    assert page.status_code == 200
    assert researcher.email.encode() in page.data
    assert client.get("/research/exports/holding?story=abc").status_code == 400
    assert client.get(f"/research/exports/holding?story={named_id}").status_code == 400
