"""The tombstone an erased story leaves: no personal data, only ids and dates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class StoryTombstone(db.Model):
    """A story that was erased: when, by whom and why. Written before erasing starts, so that
    a crash halfway is finished by running erasure again (`erased_at` is set at the end)."""

    __tablename__ = "story_tombstones"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(unique=True)
    story_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(20))  # consent_withdrawn | admin_erasure
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Random storage folders (no names, no text), kept so a late job's files can be swept.
    media_prefixes: Mapped[list[str]] = mapped_column(JSON, default=list)
