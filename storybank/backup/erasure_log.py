"""The erasure log: one small file per erased story, kept apart from the database and media.

A backup is a moment; an erasure after it must still hold when the backup is restored. The
tombstones in the database go back in time with it, so each erasure also writes its tombstone
(ids, dates, random storage folders: no personal data) as `<story id>.json` to a storage of its
own: `ERASURE_LOG_URL` (`STORYBANK_ERASURE_LOG_URL`), by default `instance/erasure-log/`, and
`s3://bucket/erasure-log` when scaled out, so that every web process writes to one log. Backups
never include it and restores never overwrite it. Written once per story, so S3 needs no append.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from storybank.backup.engine import iter_keys
from storybank.core.storage import Storage
from storybank.core.storage import storage_from_url
from storybank.extensions import db
from storybank.privacy.models import StoryTombstone


@dataclass(frozen=True)
class ErasureEntry:
    """One erased story, as the log keeps it."""

    story_id: int
    reason: str
    started_at: str | None
    story_created_at: str | None
    media_prefixes: tuple[str, ...]
    erased_by_id: int | None = None  # a staff account, kept if it is in the restored database


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def entry_from_tombstone(tombstone: StoryTombstone) -> ErasureEntry:
    """Return the log entry of a tombstone."""
    return ErasureEntry(
        story_id=tombstone.story_id,
        reason=tombstone.reason,
        started_at=_stamp(tombstone.started_at),
        story_created_at=_stamp(tombstone.story_created_at),
        media_prefixes=tuple(tombstone.media_prefixes or ()),
        erased_by_id=tombstone.erased_by_id,
    )


def erasure_log_storage() -> Storage:
    """Return the storage that holds the erasure log."""
    url = (
        current_app.config.get("ERASURE_LOG_URL")
        or os.environ.get("STORYBANK_ERASURE_LOG_URL")
        or f"file://{Path(current_app.instance_path) / 'erasure-log'}"
    )
    return storage_from_url(url)


def write_entry(storage: Storage, entry: ErasureEntry) -> None:
    """Write (or write again, identically) the story's entry."""
    data = json.dumps(asdict(entry), sort_keys=True).encode()
    storage.save_stream(f"{entry.story_id}.json", io.BytesIO(data))


def record_erasure(story_id: int) -> None:
    """Erasure hook: log the story's tombstone (written and committed before hooks run)."""
    tombstone = db.session.scalar(select(StoryTombstone).where(StoryTombstone.story_id == story_id))
    if tombstone is not None:
        write_entry(erasure_log_storage(), entry_from_tombstone(tombstone))


def read_entries(storage: Storage) -> list[ErasureEntry]:
    """Return every entry in the log, by story id."""
    entries = []
    for key in iter_keys(storage):
        if not key.endswith(".json"):
            continue
        with storage.open(key) as source:
            data = json.loads(source.read())
        data["media_prefixes"] = tuple(data.get("media_prefixes") or ())
        entries.append(ErasureEntry(**data))
    return sorted(entries, key=lambda entry: entry.story_id)
