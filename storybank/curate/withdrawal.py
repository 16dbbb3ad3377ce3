"""Stories leave packs the moment their consent for events goes, and when they are erased.

Each pack that held the story is marked changed with the reason, its revision moves on, and
its cached files are deleted, so no later PDF, document or digest can contain the story.
Manifests stay: they hold ids only, and say who received the story before it left.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.ids import story_label
from storybank.core.storage import Storage
from storybank.curate import policy
from storybank.curate.models import Pack
from storybank.curate.models import PackChange
from storybank.curate.models import PackRender
from storybank.curate.models import PackStory
from storybank.extensions import db
from storybank.stories.models import Story


def drop_cached_files(pack: Pack) -> int:
    """Delete every cached file of the pack (the manifests stay); return how many went."""
    storage: Storage = current_app.extensions["storybank_storage"]
    dropped = 0
    query = select(PackRender).where(
        PackRender.pack_id == pack.id, PackRender.storage_key.is_not(None)
    )
    for render in db.session.scalars(query):
        storage.delete(render.storage_key or "")
        render.storage_key = None
        dropped += 1
    return dropped


def _entries_of(story_id: int) -> list[PackStory]:
    return list(db.session.scalars(select(PackStory).where(PackStory.story_id == story_id)))


def _mark_changed(pack: Pack, reason: str) -> None:
    pack.changes.append(PackChange(reason=reason))
    pack.revision += 1
    drop_cached_files(pack)


def take_story_out_of_packs(
    story_id: int, reason: str, reason_code: str, actor_id: int | None
) -> int:
    """Remove the story, with its quotes, from every pack; return how many packs held it."""
    entries = _entries_of(story_id)
    for entry in entries:
        pack = entry.pack
        pack.entries.remove(entry)
        _mark_changed(pack, reason)
        record_event(
            AuditAction.PACK_STORY_REMOVED,
            actor_id=actor_id,
            target_type="pack",
            target_id=pack.id,
            story=story_id,
            reason_code=reason_code,
        )
    db.session.flush()
    return len(entries)


def story_consent_changed(story_id: int, actor_id: int | None) -> None:
    """Consent hook: a story that may no longer be used at events leaves every pack."""
    story = db.session.get(Story, story_id)
    if story is None:
        return
    today = f"{date.today().day} {date.today():%B %Y}"
    if not policy.may_go_in_a_pack(story):
        take_story_out_of_packs(
            story_id,
            f"{story_label(story_id)} was taken out on {today}: its storyteller no longer "
            "agrees to its use at events. Destroy any printed copies that hold it.",
            "consent_events",
            actor_id,
        )
    elif story.is_audio and not policy.may_play_at_events(story):
        for entry in _entries_of(story_id):
            _mark_changed(
                entry.pack,
                f"{story_label(story_id)}'s recording no longer plays, from {today}: its "
                "storyteller no longer agrees to its audio being used at events. The text stays.",
            )


def forget_story(story_id: int) -> None:
    """Erasure hook: before the story's rows go, note the change on every pack that held it."""
    take_story_out_of_packs(
        story_id,
        f"{story_label(story_id)} was erased and has left the pack. Destroy any printed copies "
        "that hold it.",
        "erased",
        None,
    )
