"""Research exports: what a search finds, streamed as CSV, JSON or a REFI-QDA project.

An export first writes its manifest (who, when, which search, which stories with their text
version and consent record) and an audit event in one commit; only then does it stream. The
manifest is a superset of what is streamed: a story whose consent changes in between is left
out of the file but stays listed, so that nobody who might have it goes untold.

Only the anonymised text leaves: the index's signed-off body, and theme evidence mapped from
the original's offsets onto it (`ReleasedText.to_released`). No title, no pseudonym, no
original text is ever read here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from flask import current_app
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storybank.accounts.models import User
from storybank.anonymise.services import ReleasedText
from storybank.anonymise.services import released_texts
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.exports import engine
from storybank.exports import policy
from storybank.exports.models import ExportedStory
from storybank.exports.models import ExportManifest
from storybank.extensions import db
from storybank.search.indexing import may_be_searched
from storybank.search.models import SearchDocument
from storybank.search.params import query_to_dict
from storybank.search.query import SearchQuery
from storybank.search.services import facet_labels
from storybank.search.services import matching_story_ids
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus
from storybank.tag.models import StoryTheme
from storybank.tag.services import current_codebook

BATCH = 500
CHUNK = 64 * 1024


@dataclass(frozen=True)
class ExportKind:
    key: str
    label: str
    extension: str
    content_type: str
    needs_excerpts: bool


CSV = "text/csv; charset=utf-8"
KINDS = {
    kind.key: kind
    for kind in (
        ExportKind("stories_csv", "Stories (CSV)", "csv", CSV, False),
        ExportKind("excerpts_csv", "Coded excerpts (CSV)", "csv", CSV, True),
        ExportKind("matrix_csv", "Story by theme matrix (CSV)", "csv", CSV, False),
        ExportKind("json", "Stories and excerpts (JSON)", "json", "application/json", True),
        ExportKind("qdpx", "QualCoder or NVivo project (.qdpx)", "qdpx", "application/zip", True),
    )
}


@dataclass(frozen=True)
class PreparedExport:
    """A recorded export, ready to stream: its manifest is already committed."""

    manifest_id: int
    kind: ExportKind
    filename: str
    chunks: Iterator[bytes]


@dataclass(frozen=True)
class Holding:
    """One export that held a story: who made it, when, and what it held of the story."""

    manifest_id: int
    exported_at: datetime
    format: str
    user_id: int
    user_name: str
    user_email: str
    story_count: int
    text_version_id: int | None
    consent_record_id: int | None


def require_export(actor: User | None) -> None:
    """Raise NotAllowed unless the user may export."""
    if not policy.can_export(actor):
        raise NotAllowed("Exports are for researchers.")


def export_kind(key: str) -> ExportKind:
    """Return the kind of export, or NotFound for one that does not exist."""
    if key not in KINDS:
        raise NotFound
    return KINDS[key]


def export_stories(actor: User | None, query: SearchQuery, kind: str) -> PreparedExport:
    """Record the export (manifest and audit event, committed), then return its stream."""
    chosen = export_kind(kind)
    require_export(actor)
    assert actor is not None
    manifest = _record_manifest(actor, query, chosen)
    return PreparedExport(
        manifest.id, chosen, _filename(manifest, chosen), _stream(manifest.id, chosen)
    )


def write_export(
    actor: User | None, query: SearchQuery, kind: str, out: BinaryIO
) -> ExportManifest:
    """Export to a file without HTTP (for the command line and benchmarks); return the manifest."""
    chosen = export_kind(kind)
    require_export(actor)
    assert actor is not None
    manifest = _record_manifest(actor, query, chosen)
    if chosen.key == "qdpx":
        _write_qdpx(manifest.id, out)
    else:
        for chunk in _stream(manifest.id, chosen):
            out.write(chunk)
    return manifest


def export_filename(manifest: ExportManifest, kind: ExportKind) -> str:
    """The name an export is downloaded under."""
    return _filename(manifest, kind)


def _filename(manifest: ExportManifest, kind: ExportKind) -> str:
    stamp = manifest.created_at.strftime("%Y%m%d")
    name = kind.key.removesuffix("_csv")
    return f"storybank-{name}-{stamp}-{manifest.id}.{kind.extension}"


# --- The manifest -------------------------------------------------------------------------


def record_manifest(actor: User, query: SearchQuery, kind: ExportKind) -> ExportManifest:
    """Write the export's manifest and audit event, in one commit, before any file is made."""
    return _record_manifest(actor, query, kind)


def still_exportable(story_ids: list[int]) -> bool:
    """Whether every one of these stories may still be exported now."""
    for start in range(0, len(story_ids), BATCH):
        ids = story_ids[start : start + BATCH]
        if len(_exportable(ids)) != len(set(ids)):
            return False
    return True


def _record_manifest(actor: User, query: SearchQuery, kind: ExportKind) -> ExportManifest:
    codebook = current_codebook()
    manifest = ExportManifest(
        user_id=actor.id,
        format=kind.key,
        filter=dict(query_to_dict(query)),
        codebook_version=codebook.version,
        story_count=0,
    )
    db.session.add(manifest)
    db.session.flush()
    count = 0
    for ids in matching_story_ids(actor, query):
        rows = [{"manifest_id": manifest.id, **row} for row in _exportable(ids)]
        if rows:
            db.session.execute(insert(ExportedStory), rows)
        count += len(rows)
    manifest.story_count = count
    record_event(
        AuditAction.RESEARCH_EXPORTED,
        actor_id=actor.id,
        target_type="export",
        target_id=manifest.id,
        kind=kind.key,
        count=count,
    )
    db.session.commit()
    return manifest


def _exportable(ids: list[int]) -> list[dict[str, int | None]]:
    """The ids' stories that may still be exported now, with their text version and consent."""
    approved = set(
        db.session.scalars(
            select(Story.id).where(Story.id.in_(ids), Story.status == StoryStatus.APPROVED.value)
        )
    )
    latest: dict[int, ConsentRecord] = {}
    consents = select(ConsentRecord).where(ConsentRecord.story_id.in_(ids))
    for consent in db.session.scalars(consents.order_by(ConsentRecord.id)):
        latest[consent.story_id] = consent
    versions = dict(
        db.session.execute(
            select(SearchDocument.story_id, SearchDocument.text_version_id).where(
                SearchDocument.story_id.in_(ids)
            )
        ).all()
    )
    rows = []
    for story_id in ids:
        consent = latest.get(story_id)
        if story_id not in approved or story_id not in versions or consent is None:
            continue
        if not (consent.processing and consent.research):
            continue
        rows.append(
            {
                "story_id": story_id,
                "text_version_id": versions[story_id],
                "consent_record_id": consent.id,
            }
        )
    return rows


# --- Streaming ----------------------------------------------------------------------------


def _info(manifest: ExportManifest) -> engine.ExportInfo:
    return engine.ExportInfo(
        manifest.id,
        manifest.created_at,
        manifest.format,
        dict(manifest.filter),
        manifest.story_count,
    )


def _codebook() -> engine.Codebook:
    codebook = current_codebook()
    themes = tuple(
        engine.Theme(theme.key, theme.name, theme.definition) for theme in codebook.themes
    )
    return engine.Codebook(codebook.version, themes)


def _stream(
    manifest_id: int, kind: ExportKind, stories: Iterator[engine.ExportStory] | None = None
) -> Iterator[bytes]:
    """Yield the export's bytes; stories are read in batches as the writer asks for them."""
    manifest = db.session.get(ExportManifest, manifest_id)
    assert manifest is not None
    codebook = _codebook()
    if stories is None:
        stories = _export_stories(manifest_id, kind.needs_excerpts)
    if kind.key == "stories_csv":
        yield from engine.stories_csv(stories, codebook)
    elif kind.key == "excerpts_csv":
        yield from engine.excerpts_csv(stories, codebook)
    elif kind.key == "matrix_csv":
        yield from engine.matrix_csv(stories, codebook)
    elif kind.key == "json":
        yield from engine.json_chunks(_info(manifest), codebook, stories)
    else:
        yield from _qdpx_chunks(manifest_id)


def write_manifest_file(
    manifest_id: int,
    kind: ExportKind,
    out: BinaryIO,
    written: list[int],
    report: Callable[[float], None],
) -> None:
    """Write a recorded export to a file (the background job), noting each story written
    and reporting the share of the manifest read so far (between batches only)."""
    manifest = db.session.get(ExportManifest, manifest_id)
    assert manifest is not None
    total = max(manifest.story_count, 1)

    def read_so_far(count: int) -> None:
        report(min(count / total, 1.0))

    def noted(stories: Iterator[engine.ExportStory]) -> Iterator[engine.ExportStory]:
        for story in stories:
            written.append(story.story_id)
            yield story

    stories = noted(_export_stories(manifest_id, kind.needs_excerpts, read_so_far))
    if kind.key == "qdpx":
        _write_qdpx(manifest_id, out, stories)
    else:
        for chunk in _stream(manifest_id, kind, stories):
            out.write(chunk)
    report(1.0)


def temp_dir() -> str | None:
    """Where large exports are built (EXPORT_TEMP_DIR, else the system's)."""
    return _temp_dir()


def _temp_dir() -> str | None:
    return current_app.config.get("EXPORT_TEMP_DIR") or None


def _write_qdpx(
    manifest_id: int, out: BinaryIO, stories: Iterator[engine.ExportStory] | None = None
) -> None:
    manifest = db.session.get(ExportManifest, manifest_id)
    assert manifest is not None
    engine.write_qdpx(
        stories if stories is not None else _export_stories(manifest_id, needs_excerpts=True),
        _codebook(),
        out,
        seed=f"export/{manifest_id}",
        name=f"Storybank export {manifest_id}",
        created_at=manifest.created_at,
        temp_dir=_temp_dir(),
    )


def _qdpx_chunks(manifest_id: int) -> Iterator[bytes]:
    """Build the zip in a temporary file (memory for small ones), then stream it back."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, dir=_temp_dir()) as spool:
        _write_qdpx(manifest_id, spool)  # type: ignore[arg-type]
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


def _export_stories(
    manifest_id: int, needs_excerpts: bool, read_so_far: Callable[[int], None] | None = None
) -> Iterator[engine.ExportStory]:
    """The manifest's stories in its order, checked again, as plain anonymised records.

    `read_so_far` hears how many of the manifest's stories were read, before each batch.
    """
    labels = facet_labels()
    after = 0
    count = 0
    while True:
        if read_so_far is not None:
            read_so_far(count)
        rows = db.session.execute(
            select(ExportedStory.id, ExportedStory.story_id)
            .where(ExportedStory.manifest_id == manifest_id, ExportedStory.id > after)
            .order_by(ExportedStory.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        after = rows[-1].id
        count += len(rows)
        yield from _load_batch([row.story_id for row in rows], needs_excerpts, labels)


def _load_batch(
    ids: list[int], needs_excerpts: bool, labels: dict[str, dict[str, str]]
) -> Iterator[engine.ExportStory]:
    documents = {
        row.story_id: row
        for row in db.session.scalars(
            select(SearchDocument).where(SearchDocument.story_id.in_(ids))
        )
    }
    loads = [selectinload(Story.consents)]
    if needs_excerpts:
        loads.append(selectinload(Story.texts))
    stories = {
        story.id: story
        for story in db.session.scalars(select(Story).where(Story.id.in_(ids)).options(*loads))
    }
    released = released_texts(list(stories.values())) if needs_excerpts else None
    confirmed: dict[int, list[StoryTheme]] = {story_id: [] for story_id in ids}
    themes = select(StoryTheme).where(
        StoryTheme.story_id.in_(ids), StoryTheme.decision == "confirmed"
    )
    for theme in db.session.scalars(themes.order_by(StoryTheme.theme_key)):
        confirmed[theme.story_id].append(theme)
    for story_id in ids:
        story, document = stories.get(story_id), documents.get(story_id)
        # Defensive: the index holds only exportable stories, but consent is checked again.
        if story is None or document is None or not may_be_searched(story):
            continue
        record = _record(story, document, confirmed[story_id], released, labels)
        if record is not None:
            yield record


def _record(
    story: Story,
    document: SearchDocument,
    themes: list[StoryTheme],
    released_by_story: dict[int, ReleasedText] | None,
    labels: dict[str, dict[str, str]],
) -> engine.ExportStory | None:
    """One story as the export writes it; with excerpts (`released_by_story` given), from
    its signed-off released text, and not at all if it is no longer signed off."""
    text, excerpts = document.body, ()
    if released_by_story is not None:
        released = released_by_story.get(story.id)
        if released is None:  # no longer signed off: nothing may leave
            return None
        text, excerpts = released.text, _excerpts(released, themes)
    return engine.ExportStory(
        story_id=story.id,
        site=labels["site"].get(str(document.site_id), ""),
        voice=labels["voice"].get(document.voice, document.voice),
        story_type=labels["story_type"].get(document.story_type, document.story_type),
        source=labels["source"].get(document.source, document.source),
        approved_on=document.approved_on,
        word_count=document.word_count,
        themes=tuple(theme.theme_key for theme in themes),
        text=text,
        excerpts=excerpts,
    )


def _excerpts(released: ReleasedText, themes: list[StoryTheme]) -> tuple[engine.Excerpt, ...]:
    """Each confirmed theme's evidence, moved onto the anonymised text.

    Evidence is held in the offsets of the text version the tagger read; evidence of another
    version than the released one is left out rather than guessed at.
    """
    found = set()
    for theme in themes:
        if theme.text_version_id != released.text_version_id:
            continue
        for item in theme.evidence or []:
            try:
                start, end = released.to_released(int(item["start"]), int(item["end"]))
            except (KeyError, TypeError, ValueError):
                continue
            if 0 <= start < end:
                found.add(engine.Excerpt(theme.theme_key, start, end))
    return tuple(sorted(found, key=lambda e: (e.start, e.end, e.theme)))


# --- Who had what -------------------------------------------------------------------------


def my_exports(actor: User | None, limit: int = 200) -> list[ExportManifest]:
    """The user's own exports, newest first."""
    require_export(actor)
    assert actor is not None
    return list(
        db.session.scalars(
            select(ExportManifest)
            .where(ExportManifest.user_id == actor.id)
            .order_by(ExportManifest.id.desc())
            .limit(limit)
        )
    )


def require_holdings(actor: User | None) -> None:
    """Raise NotAllowed unless the user may see who received a story (admins)."""
    if not policy.can_see_holdings(actor):
        raise NotAllowed("Only admins see who received a story.")


def exports_holding(actor: User | None, story_id: int) -> list[Holding]:
    """For admins: every export that held the story (erased or not), who made it and when."""
    require_holdings(actor)
    rows = db.session.execute(
        select(ExportedStory, ExportManifest, User)
        .join(ExportManifest, ExportManifest.id == ExportedStory.manifest_id)
        .join(User, User.id == ExportManifest.user_id)
        .where(ExportedStory.story_id == story_id)
        .order_by(ExportManifest.id.desc())
    ).all()
    return [
        Holding(
            manifest_id=manifest.id,
            exported_at=manifest.created_at,
            format=KINDS[manifest.format].label if manifest.format in KINDS else manifest.format,
            user_id=user.id,
            user_name=user.display_name,
            user_email=user.email,
            story_count=manifest.story_count,
            text_version_id=held.text_version_id,
            consent_record_id=held.consent_record_id,
        )
        for held, manifest, user in rows
    ]
