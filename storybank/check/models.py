"""The storyteller's answers, one row per decision, each tied to the sign-off it was about."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class CheckDecision(enum.StrEnum):
    """What the storyteller said about the anonymised story."""

    AGREED = "agreed"
    CHANGES_ASKED = "changes_asked"


class StorytellerCheck(db.Model):
    """One answer from the storyteller, recorded by the reporter. Never overwritten.

    `text_version_id` and `signed_off_at` name the sign-off that was shown: a new sign-off
    (after any change to the redactions, hidden stretches or text) needs a new answer.
    """

    __tablename__ = "storyteller_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    text_version_id: Mapped[int] = mapped_column(ForeignKey("story_texts.id", ondelete="CASCADE"))
    signed_off_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decision: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)  # what to change; never audited
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
