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
