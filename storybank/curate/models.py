"""Events, their packs (stories, quotes, prompts, suggestions, renders) and agreed actions."""

from __future__ import annotations

import enum
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Column
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from storybank.accounts.models import User
from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class Event(db.Model):
    """A Conversation of Change event: when, where, who runs it, who is expected."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(200))
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    audience: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # After the event: what was said, in the facilitator's words.
    discussion_notes: Mapped[str] = mapped_column(Text, default="")
    # An admin may let researchers see this event's agreed actions (never its pack).
    actions_shared: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    facilitator: Mapped[User] = relationship(foreign_keys=[facilitator_id])
    pack: Mapped[Pack] = relationship(back_populates="event", cascade="all, delete-orphan")
    actions: Mapped[list[EventAction]] = relationship(
        back_populates="event", order_by="EventAction.id", cascade="all, delete-orphan"
    )


class Pack(db.Model):
    """An event's pack: its chosen themes, prompts per theme, notes, stories and quotes."""

    __tablename__ = "packs"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    theme_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Discussion prompts: theme key -> the facilitator's questions for the tables.
    prompts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    facilitator_notes: Mapped[str] = mapped_column(Text, default="")
    # Bumped by every edit, so that a render can say which state of the pack it shows.
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="pack")
    entries: Mapped[list[PackStory]] = relationship(
        back_populates="pack", order_by="PackStory.position", cascade="all, delete-orphan"
    )
    changes: Mapped[list[PackChange]] = relationship(
        back_populates="pack", order_by="PackChange.id", cascade="all, delete-orphan"
    )


class PackStory(db.Model):
    """A story in a pack: its place in the order, why it was chosen, an optional summary."""

    __tablename__ = "pack_stories"
    __table_args__ = (UniqueConstraint("pack_id", "story_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("packs.id", ondelete="CASCADE"), index=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    # Written by a person and always labelled as a summary, never shown as a quote.
    summary: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    pack: Mapped[Pack] = relationship(back_populates="entries")
    quotes: Mapped[list[PackQuote]] = relationship(
        back_populates="entry", order_by="PackQuote.position", cascade="all, delete-orphan"
    )


class QuoteStatus(enum.StrEnum):
    """Whether a quote still says what it said when it was picked."""

    CURRENT = "current"
    # The anonymised text under it changed (a new redaction, say): it follows the text, and
    # the facilitator is asked to look again.
    CHANGED = "changed"
    # The words are no longer in the story's text: left out of every output until re-picked.
    LOST = "lost"


class PackQuote(db.Model):
    """A verbatim passage: a span of one text version, shown through its redactions.

    The span is held in the original text's offsets, so a placeholder added later appears in
    the quote; `picked_sha256` is the hash of the anonymised passage as the facilitator saw it
    (never the passage itself), so a change is noticed and flagged.
    """

    __tablename__ = "pack_quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("pack_stories.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    text_version_id: Mapped[int] = mapped_column(ForeignKey("story_texts.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column()
    end: Mapped[int] = mapped_column()
    theme_key: Mapped[str | None] = mapped_column(String(40))
    picked_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=QuoteStatus.CURRENT.value)
    position: Mapped[int] = mapped_column(default=0)
    picked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    picked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entry: Mapped[PackStory] = relationship(back_populates="quotes")


class PackChange(db.Model):
    """Something that changed a pack from outside (a story left it): shown until seen."""

    __tablename__ = "pack_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("packs.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    pack: Mapped[Pack] = relationship(back_populates="changes")


class PackSuggestion(db.Model):
    """A balanced set proposed for a pack, recorded so that it can be reproduced."""

    __tablename__ = "pack_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("packs.id", ondelete="CASCADE"), index=True)
    seed: Mapped[int] = mapped_column()
    codebook_version: Mapped[int] = mapped_column()
    theme_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    voices: Mapped[list[str]] = mapped_column(JSON, default=list)
    word_budget: Mapped[int] = mapped_column()
    max_stories: Mapped[int | None] = mapped_column()
    story_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    uncovered: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PackRender(db.Model):
    """One output of a pack (PDF, document, digest) with its manifest.

    The manifest names story ids, text versions, quote spans and consent records, never text,
    and outlives the story, so that whoever received a later-withdrawn story can be told. The
    cached file (`storage_key`) is deleted when any story in it leaves the pack.
    """

    __tablename__ = "pack_renders"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("packs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    fingerprint: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(default=0)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActionStatus(enum.StrEnum):
    """Where an agreed action is."""

    AGREED = "agreed"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


ACTION_STATUS_LABELS = {
    ActionStatus.AGREED: "Agreed",
    ActionStatus.IN_PROGRESS: "In progress",
    ActionStatus.DONE: "Done",
    ActionStatus.DROPPED: "Dropped",
}

action_stories = Table(
    "action_stories",
    db.metadata,
    Column("action_id", ForeignKey("event_actions.id", ondelete="CASCADE"), primary_key=True),
    Column("story_id", ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
)


class EventAction(db.Model):
    """ "You said, we did": an action an event agreed, its owner, due date and progress."""

    __tablename__ = "event_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    you_said: Mapped[str] = mapped_column(Text)
    we_will: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=ActionStatus.AGREED.value)
    # What was done, as it happens ("we did").
    we_did: Mapped[str] = mapped_column(Text, default="")
    theme_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="actions")
    stories: Mapped[list[Any]] = relationship(
        "Story", secondary=action_stories, order_by="Story.id", lazy="selectin"
    )

    @property
    def status_label(self) -> str:
        return ACTION_STATUS_LABELS.get(ActionStatus(self.status), self.status)
