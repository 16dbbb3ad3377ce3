"""What each research export held: who made it, when, how, and which stories (ids only).

Both tables outlive the stories they name (no foreign key to stories), so that when a story
is later withdrawn an admin can see who received it and tell them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from storybank.accounts.models import User
from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class ExportManifest(db.Model):
    """One export: who, when, which format, the search that chose the stories."""

    __tablename__ = "export_manifests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    format: Mapped[str] = mapped_column(String(20))
    filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    story_count: Mapped[int] = mapped_column(default=0)
    codebook_version: Mapped[int | None] = mapped_column()

    user: Mapped[User] = relationship()


class ExportedStory(db.Model):
    """One story in one export: ids only, and no foreign key to stories, so it survives erasure."""

    __tablename__ = "exported_stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(
        ForeignKey("export_manifests.id", ondelete="CASCADE"), index=True
    )
    story_id: Mapped[int] = mapped_column(index=True)
    text_version_id: Mapped[int | None] = mapped_column()
    consent_record_id: Mapped[int | None] = mapped_column()


class OutputJob(db.Model):
    """A file made in the background for one person: a pack's PDF or document, or an export.

    It holds ids and the search's parameters only, never text; the file itself lives in
    storage (`storage_key`) until it is downloaded and its grace runs out, or it expires.
    """

    __tablename__ = "output_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "pack" (a render of an event's pack) or "export" (a research export).
    what: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # An export's search as URL parameters ([name, value] pairs): what the search page sent.
    params: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    progress: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    # The pack render or export manifest the file was made as (its manifest).
    result_id: Mapped[int | None] = mapped_column()
    # The stories the file holds (ids only), checked again before each download.
    story_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
