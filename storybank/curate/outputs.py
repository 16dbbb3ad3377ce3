"""A pack's outputs: the on-screen digest, the PDF and the editable document, each with a
manifest of exactly which story versions, quotes and consent records went into it.

Every output is built from the pack as it stands now: stories that may no longer be used at
events are left out whatever the pack's rows say, and every quote is derived afresh.
Renders are cached by a fingerprint of their content, so a changed story never reuses an
old file, and the cache is deleted whenever a story leaves a pack.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storybank.accounts.models import User
from storybank.anonymise.services import can_play_redacted_audio
from storybank.anonymise.services import released_texts
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.small_counts import shown_count
from storybank.core.storage import Storage
from storybank.curate import policy
from storybank.curate.engine.document import CONSENT_STATEMENT
from storybank.curate.engine.document import PackDocument
from storybank.curate.engine.document import Quote
from storybank.curate.engine.document import StoryCard
from storybank.curate.engine.document import ThemeBar
from storybank.curate.engine.document import ThemeSection
from storybank.curate.events import get_event
from storybank.curate.models import Event
from storybank.curate.models import Pack
from storybank.curate.models import PackRender
from storybank.curate.models import PackStory
from storybank.curate.models import QuoteStatus
from storybank.curate.quotes import current_quotes
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.tag.services import current_codebook
from storybank.tag.services import tags_for_stories

KINDS = {
    "pdf": ("application/pdf", "pdf"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
}
TYPE_LABELS = {"snapshot": "Snapshot story", "dialogue": "Dialogue", "personal": "Personal story"}


@dataclass(frozen=True)
class UsedStory:
    """A pack entry whose story may be used now, with its released text and themes."""

    entry: PackStory
    story: Story
    ref: str
    text: str
    themes: list[str]


@dataclass(frozen=True)
class RenderedPack:
    """A file of a pack, ready to send."""

    data: bytes
    filename: str
    mimetype: str
    render_id: int


def readable_pack(actor: User, event_id: int) -> Event:
    """Return the event whose pack the actor may see; NotFound or NotAllowed otherwise."""
    return _readable(actor, event_id)


def _readable(actor: User, event_id: int) -> Event:
    event = get_event(actor, event_id)
    if not policy.can_see_pack(actor, event):
        raise NotAllowed("Packs are for facilitators and admins.")
    return event


def load_pack_stories(pack: Pack) -> dict[int, Story]:
    """Load the pack's stories with their texts and consents in three queries, however many."""
    ids = [entry.story_id for entry in pack.entries]
    query = (
        select(Story)
        .where(Story.id.in_(ids))
        .options(selectinload(Story.texts), selectinload(Story.consents))
    )
    return {story.id: story for story in db.session.scalars(query)}


def used_stories(pack: Pack) -> list[UsedStory]:
    """Return the pack's stories that may be used at events now, numbered in pack order."""
    usable: list[tuple[PackStory, Story, str]] = []
    stories = load_pack_stories(pack)
    texts = released_texts(list(stories.values()))
    for entry in pack.entries:
        story = stories.get(entry.story_id)
        text = texts.get(entry.story_id)
        if story is not None and text is not None and policy.may_go_in_a_pack(story):
            usable.append((entry, story, text.text))
    themes = tags_for_stories([story.id for _, story, _ in usable])
    return [
        UsedStory(entry, story, f"Story {number}", text, themes[story.id])
        for number, (entry, story, text) in enumerate(usable, start=1)
    ]


def _sections(
    pack: Pack, used: list[UsedStory], quotes: dict[int, str | None]
) -> list[ThemeSection]:
    definitions = {t.key: t for t in current_codebook().themes}
    sections = []
    for key in pack.theme_keys:
        theme = definitions.get(key)
        picked = [
            Quote(quotes[q.id] or "", item.ref)
            for item in used
            for q in item.entry.quotes
            if q.theme_key == key and q.status != QuoteStatus.LOST.value and quotes.get(q.id)
        ]
        sections.append(
            ThemeSection(
                key=key,
                name=theme.name if theme else key,
                definition=theme.definition if theme else "",
                prompts=pack.prompts.get(key, ""),
                quotes=picked,
            )
        )
    return sections


def _theme_bars(pack: Pack, used: list[UsedStory], threshold: int) -> list[ThemeBar]:
    names = {t.key: t.name for t in current_codebook().themes}
    bars = []
    for key in pack.theme_keys:
        shown = shown_count(sum(key in item.themes for item in used), threshold)
        bars.append(ThemeBar(key, names.get(key, key), shown.value, shown.label))
    return bars


def _card(item: UsedStory, theme_names: dict[str, str], audio_url: str | None) -> StoryCard:
    story = item.story
    return StoryCard(
        ref=item.ref,
        voice=story.voice_label,
        story_type=TYPE_LABELS.get(story.story_type, story.story_type),
        source="Told aloud" if story.is_audio else "Written",
        themes=[theme_names.get(key, key) for key in item.themes],
        text=item.text,
        summary=item.entry.summary,
        audio_url=audio_url,
    )


def build_pack_document(
    event: Event, audio_url: Callable[[Story], str | None] | None = None
) -> tuple[PackDocument, list[UsedStory], dict[int, str | None]]:
    """Build the pack as plain data from what may be used now (no permission check here)."""
    pack = event.pack
    used = used_stories(pack)
    quotes = current_quotes(pack)
    threshold = current_app.config["SMALL_COUNT_THRESHOLD"]
    names = {t.key: t.name for t in current_codebook().themes}
    document = PackDocument(
        title=event.title,
        held_on=f"{event.held_on:%A} {event.held_on.day} {event.held_on:%B %Y}",
        place=event.place,
        audience=event.audience,
        facilitator=event.facilitator.display_name,
        facilitator_notes=pack.facilitator_notes,
        small_count_threshold=threshold,
        theme_bars=_theme_bars(pack, used, threshold),
        sections=_sections(pack, used, quotes),
        cards=[_card(item, names, audio_url(item.story) if audio_url else None) for item in used],
        consent_statement=CONSENT_STATEMENT,
        generated_at="",
        reference=f"Pack {pack.id}, revision {pack.revision}",
    )
    return document, used, quotes


def _manifest(event: Event, used: list[UsedStory], kind: str, actor: User) -> dict[str, Any]:
    stories = []
    for item in used:
        consent = item.story.current_consent
        text = item.story.current_text
        stories.append(
            {
                "ref": item.ref,
                "story_id": item.story.id,
                "text_version_id": text.id if text else None,
                "consent_record_id": consent.id if consent else None,
                "audio_at_events": bool(consent and consent.audio_at_events),
                "quotes": [
                    {
                        "quote_id": q.id,
                        "text_version_id": q.text_version_id,
                        "start": q.start,
                        "end": q.end,
                        "theme": q.theme_key,
                        "status": q.status,
                    }
                    for q in item.entry.quotes
                ],
            }
        )
    return {
        "event_id": event.id,
        "pack_id": event.pack.id,
        "pack_revision": event.pack.revision,
        "kind": kind,
        "made_by_user_id": actor.id,
        "made_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "codebook_version": current_codebook().version,
        "small_count_threshold": current_app.config["SMALL_COUNT_THRESHOLD"],
        "stories": stories,
    }


def _fingerprint(document: PackDocument, kind: str) -> str:
    content = json.dumps({"kind": kind, "document": asdict(document)}, sort_keys=True)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _storage() -> Storage:
    return current_app.extensions["storybank_storage"]


def _cached(pack: Pack, kind: str, fingerprint: str) -> PackRender | None:
    render = db.session.scalar(
        select(PackRender)
        .where(PackRender.pack_id == pack.id, PackRender.kind == kind)
        .where(PackRender.fingerprint == fingerprint, PackRender.storage_key.is_not(None))
        .order_by(PackRender.id.desc())
    )
    if render is not None and render.storage_key and _storage().exists(render.storage_key):
        return render
    return None


def _render(document: PackDocument, kind: str) -> bytes:
    root = Path(current_app.root_path)
    if kind == "pdf":
        from storybank.curate.engine.pdf import render_pdf

        return render_pdf(document, Path(current_app.template_folder or ""), root / "static")
    from storybank.curate.engine.docx import render_docx

    return render_docx(document)


@dataclass(frozen=True)
class MadeFile:
    """A pack file in storage, with its render (manifest) and the stories it holds."""

    render: PackRender
    data: bytes | None
    made_now: bool
    story_ids: list[int]


def pack_filename(event: Event, kind: str) -> str:
    """The name a pack's file is downloaded under."""
    return f"conversation-of-change-{event.held_on.isoformat()}.{KINDS[kind][1]}"


def make_pack_file(
    actor: User, event: Event, kind: str, report: Callable[[float], None] | None = None
) -> MadeFile:
    """Render the pack from what may be used now, or find the same render already stored.

    A new render writes its manifest and a "rendered" audit event. Does not commit, except
    through `report` (which is called only between steps).
    """
    step = report or (lambda fraction: None)
    document, used, _ = build_pack_document(event)
    fingerprint = _fingerprint(document, kind)
    render = _cached(event.pack, kind, fingerprint)
    story_ids = [item.story.id for item in used]
    if render is not None:
        return MadeFile(render, None, False, story_ids)
    step(0.2)
    stamp = datetime.now().astimezone()
    document = replace(document, generated_at=f"{stamp.day} {stamp:%B %Y, %H:%M}")
    data = _render(document, kind)
    step(0.8)
    render = PackRender(
        pack_id=event.pack.id,
        kind=kind,
        fingerprint=fingerprint,
        size=len(data),
        manifest=_manifest(event, used, kind, actor),
        created_by_id=actor.id,
    )
    db.session.add(render)
    db.session.flush()
    key = f"packs/{event.pack.id}/{render.id}.{KINDS[kind][1]}"
    render.storage_key = _storage().save_stream(key, io.BytesIO(data)).key
    record_event(
        AuditAction.PACK_RENDERED,
        actor_id=actor.id,
        target_type="pack",
        target_id=event.pack.id,
        kind=kind,
    )
    return MadeFile(render, data, True, story_ids)


def read_render(render: PackRender) -> bytes:
    """Return a stored render's bytes."""
    with _storage().open(render.storage_key or "") as handle:
        return handle.read()


def render_pack(actor: User, event_id: int, kind: str) -> RenderedPack:
    """Return the pack as a PDF or document, made now or reused if nothing in it changed."""
    if kind not in KINDS:
        raise NotFound
    event = _readable(actor, event_id)
    made = make_pack_file(actor, event, kind)
    data = made.data
    if data is None:
        data = read_render(made.render)
        record_event(
            AuditAction.PACK_DOWNLOADED,
            actor_id=actor.id,
            target_type="pack",
            target_id=event.pack.id,
            kind=kind,
        )
    db.session.commit()
    return RenderedPack(data, pack_filename(event, kind), KINDS[kind][0], made.render.id)


def show_digest(
    actor: User, event_id: int, audio_url: Callable[[int], str]
) -> tuple[Event, PackDocument]:
    """Return the pack for the screen; recordings play where consent allows audio at events.

    The first showing of each state of the pack writes a manifest, as a file does.
    """
    event = _readable(actor, event_id)

    def playable(story: Story) -> str | None:
        if story.is_audio and policy.may_play_at_events(story):
            return audio_url(story.id) if can_play_redacted_audio(actor, story) else None
        return None

    document, used, _ = build_pack_document(event, playable)
    fingerprint = _fingerprint(document, "digest")
    seen = db.session.scalar(
        select(PackRender.id).where(
            PackRender.pack_id == event.pack.id,
            PackRender.kind == "digest",
            PackRender.fingerprint == fingerprint,
        )
    )
    if seen is None:
        db.session.add(
            PackRender(
                pack_id=event.pack.id,
                kind="digest",
                fingerprint=fingerprint,
                manifest=_manifest(event, used, "digest", actor),
                created_by_id=actor.id,
            )
        )
        record_event(
            AuditAction.PACK_RENDERED,
            actor_id=actor.id,
            target_type="pack",
            target_id=event.pack.id,
            kind="digest",
        )
    db.session.commit()
    return event, document


def list_renders(actor: User, event_id: int) -> list[PackRender]:
    """Return the pack's outputs so far, newest first, each with its manifest."""
    event = _readable(actor, event_id)
    query = select(PackRender).where(PackRender.pack_id == event.pack.id)
    return list(db.session.scalars(query.order_by(PackRender.id.desc())))


def get_manifest(actor: User, event_id: int, render_id: int) -> dict[str, Any]:
    """Return one output's manifest."""
    event = _readable(actor, event_id)
    render = db.session.get(PackRender, render_id)
    if render is None or render.pack_id != event.pack.id:
        raise NotFound
    return render.manifest
