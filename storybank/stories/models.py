"""Stories, their text versions, consent records and sites."""

from __future__ import annotations

import enum
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from storybank.accounts.models import User
from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class StoryStatus(enum.StrEnum):
    """Where a story is in the pipeline (see storybank.pipeline.stages for the moves)."""

    RECEIVED = "received"
    TRANSCRIBING = "transcribing"
    ANONYMISING = "anonymising"
    TAGGING = "tagging"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class StoryType(enum.StrEnum):
    """The community reporting forms a story can take."""

    SNAPSHOT = "snapshot"
    DIALOGUE = "dialogue"
    PERSONAL = "personal"


class Voice(enum.StrEnum):
    """Whose voice the story is told in."""

    PERSON_ON_PROBATION = "person_on_probation"
    PEER_MENTOR = "peer_mentor"
    STAFF = "staff"
    FAMILY_OR_FRIEND = "family_or_friend"


VOICE_LABELS = {
    Voice.PERSON_ON_PROBATION: "Person on probation",
    Voice.PEER_MENTOR: "Peer mentor",
    Voice.STAFF: "Staff",
    Voice.FAMILY_OR_FRIEND: "Family or friend",
}

STATUS_LABELS = {
    StoryStatus.RECEIVED: "Received",
    StoryStatus.TRANSCRIBING: "Transcribing",
    StoryStatus.ANONYMISING: "Anonymising",
    StoryStatus.TAGGING: "Tagging themes",
    StoryStatus.IN_REVIEW: "In review",
    StoryStatus.RETURNED: "Sent back to the reporter",
    StoryStatus.APPROVED: "Approved",
    StoryStatus.FAILED: "Failed",
    StoryStatus.WITHDRAWN: "Withdrawn",
}


class Site(db.Model):
    """A probation site or area where stories are gathered."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)


class Story(db.Model):
    """One story: who gathered it, what kind it is, and where it is in the pipeline."""

    __tablename__ = "stories"
    __table_args__ = (UniqueConstraint("reporter_id", "submission_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    title: Mapped[str] = mapped_column(String(200))
    story_type: Mapped[str] = mapped_column(String(20))
    voice: Mapped[str] = mapped_column(String(30))
    storyteller_pseudonym: Mapped[str] = mapped_column(String(80))
    source_kind: Mapped[str] = mapped_column(String(10), default="text")
    status: Mapped[str] = mapped_column(String(20), default=StoryStatus.RECEIVED.value, index=True)
    failed_stage: Mapped[str | None] = mapped_column(String(20))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    review_note: Mapped[str | None] = mapped_column(Text)
    word_count: Mapped[int | None] = mapped_column()
    # A random key from the form, so that a double-clicked submit makes one story.
    submission_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    site: Mapped[Site] = relationship()
    texts: Mapped[list[StoryText]] = relationship(
        back_populates="story", order_by="StoryText.version", cascade="all, delete-orphan"
    )
    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="story", order_by="ConsentRecord.id", cascade="all, delete-orphan"
    )
    audio: Mapped[StoryAudio | None] = relationship(
        back_populates="story", cascade="all, delete-orphan", uselist=False
    )

    @property
    def is_audio(self) -> bool:
        return self.source_kind == "audio"

    @property
    def current_consent(self) -> ConsentRecord | None:
        """Return the newest consent record; earlier ones are kept as history."""
        return self.consents[-1] if self.consents else None

    @property
    def current_text(self) -> StoryText | None:
        """Return the newest version of the story's text."""
        return self.texts[-1] if self.texts else None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(StoryStatus(self.status), self.status)

    @property
    def voice_label(self) -> str:
        return VOICE_LABELS.get(Voice(self.voice), self.voice)


class StoryText(db.Model):
    """One version of a story's original text: as submitted, transcribed or corrected."""

    __tablename__ = "story_texts"
    __table_args__ = (UniqueConstraint("story_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    origin: Mapped[str] = mapped_column(String(20))  # submitted | transcript | correction
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # For transcripts: each word's character span in `body` and its time in the audio (see
    # storybank.transcribe.timing). Lines of `body` are the transcript's segments.
    timings: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    story: Mapped[Story] = relationship(back_populates="texts")


class StoryAudio(db.Model):
    """A story's recording: the original as uploaded, and the canonical copy for the model."""

    __tablename__ = "story_audio"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), unique=True)
    original_key: Mapped[str] = mapped_column(String(200))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_size: Mapped[int] = mapped_column(BigInteger)
    container: Mapped[str] = mapped_column(String(60))
    codec: Mapped[str] = mapped_column(String(40))
    duration: Mapped[float] = mapped_column()
    sample_rate: Mapped[int] = mapped_column()
    channels: Mapped[int] = mapped_column()
    canonical_key: Mapped[str | None] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    story: Mapped[Story] = relationship(back_populates="audio")


class ConsentRecord(db.Model):
    """What the storyteller agreed to, per use; a change adds a record, never edits one."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    processing: Mapped[bool] = mapped_column()
    events: Mapped[bool] = mapped_column()
    research: Mapped[bool] = mapped_column()
    audio_at_events: Mapped[bool] = mapped_column()
    given_on: Mapped[date] = mapped_column(Date)
    # Optional: the real name on the consent form, used only to find it in the story.
    storyteller_name: Mapped[str | None] = mapped_column(String(120))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    story: Mapped[Story] = relationship(back_populates="consents")
    recorded_by: Mapped[User] = relationship()
