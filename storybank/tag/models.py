"""The versioned codebook of themes, the versioned tagger models, and each story's theme
suggestions and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class CodebookVersion(db.Model):
    """One version of the codebook: every change makes a new version, so tags keep theirs."""

    __tablename__ = "codebook_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    themes: Mapped[list[ThemeDefinition]] = relationship(
        back_populates="codebook", order_by="ThemeDefinition.position", cascade="all, delete-orphan"
    )


class ThemeDefinition(db.Model):
    """A theme as one codebook version defines it."""

    __tablename__ = "theme_definitions"
    __table_args__ = (UniqueConstraint("codebook_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    codebook_id: Mapped[int] = mapped_column(ForeignKey("codebook_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    definition: Mapped[str] = mapped_column(Text)
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    positive_examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    negative_examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    retired: Mapped[bool] = mapped_column(default=False)

    codebook: Mapped[CodebookVersion] = relationship(back_populates="themes")


class StoryTheme(db.Model):
    """A theme for one story: the tagger's suggestion with its evidence, and a person's decision.

    A confirmed theme is the tag; a suggestion is only a suggestion.
    """

    __tablename__ = "story_themes"
    __table_args__ = (UniqueConstraint("story_id", "theme_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    text_version_id: Mapped[int] = mapped_column(ForeignKey("story_texts.id", ondelete="CASCADE"))
    theme_key: Mapped[str] = mapped_column(String(40))
    codebook_version: Mapped[int] = mapped_column()
    score: Mapped[float] = mapped_column(default=0.0)
    suggested: Mapped[bool] = mapped_column(default=False)
    # Sentences that carry the theme: [{"start", "end", "score"}] into the text version.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The tagger model version (tagger_models.version) that scored it; None for a person's own.
    model_version: Mapped[int | None] = mapped_column()
    decision: Mapped[str | None] = mapped_column(String(10))  # confirmed | rejected
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_tag(self) -> bool:
        return self.decision == "confirmed"


class TaggerModel(db.Model):
    """One version of the trained tagger: every retrain is a new version, shared by all workers.

    `trained_on` holds counts only (stories, decisions per theme), never text.
    """

    __tablename__ = "tagger_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    codebook_version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    trained_on: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Deferred: a worker reads the weights only when its cached version is out of date.
    weights: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    # Set when a story whose decisions trained it is erased: the next retrain leaves them out.
    needs_retraining: Mapped[bool] = mapped_column(default=False)
