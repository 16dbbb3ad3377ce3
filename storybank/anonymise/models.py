"""Proposed and decided redactions, each story's sign-off, and the admins' identifier lists."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class RedactionStatus(enum.StrEnum):
    """Where a redaction is in review."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Redaction(db.Model):
    """A span of one text version that hides an identifier once accepted."""

    __tablename__ = "redactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    text_version_id: Mapped[int] = mapped_column(
        ForeignKey("story_texts.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[int] = mapped_column()
    end: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(10))
    # The detector's label, kept when a reviewer relabels, so the change carries to new versions.
    detected_label: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20))  # a detection layer, or "reviewer"
    confidence: Mapped[float] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default=RedactionStatus.PROPOSED.value)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AudioRedactionStatus(enum.StrEnum):
    """Whether a redacted copy of the recording may be released."""

    NOT_APPLICABLE = "not_applicable"
    READY = "ready"
    BLOCKED = "blocked"


class Anonymisation(db.Model):
    """One story's anonymisation: which text version was checked, and who signed it off."""

    __tablename__ = "anonymisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), unique=True)
    text_version_id: Mapped[int] = mapped_column(ForeignKey("story_texts.id", ondelete="CASCADE"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    audio_status: Mapped[str] = mapped_column(
        String(20), default=AudioRedactionStatus.NOT_APPLICABLE.value
    )
    audio_problem: Mapped[str | None] = mapped_column(Text)
    redacted_audio_key: Mapped[str | None] = mapped_column(String(200))


class ListKind(enum.StrEnum):
    """The identifier lists admins keep, on top of the bundled defaults."""

    PRISON = "prison"
    COURT = "court"
    PLACE = "place"
    NAME = "name"
    KEEP = "keep"


class IdentifierListEntry(db.Model):
    """A prison, court, local place or local name to redact, or a role or service to keep."""

    __tablename__ = "identifier_list_entries"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AudioHide(db.Model):
    """A stretch of a story's recording that a reviewer hid, whether or not a redaction covers it.

    Times are seconds into the recording, so a hide outlives corrections to the transcript.
    `from_word` and `to_word` record which transcript words it was picked from, if any.
    """

    __tablename__ = "audio_hides"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    start_seconds: Mapped[float] = mapped_column()
    end_seconds: Mapped[float] = mapped_column()
    from_word: Mapped[int | None] = mapped_column()
    to_word: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
