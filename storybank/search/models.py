"""The search index: one row per approved story whose current consent allows research.

It holds the signed-off anonymised text only, never an original. The full-text part is
dialect-specific and lives in the migration and the backends: an FTS5 table kept in step by
triggers on SQLite, a generated `tsvector` column with a GIN index on PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class SearchDocument(db.Model):
    """A story as research search sees it: anonymised text, attributes and confirmed themes."""

    __tablename__ = "search_documents"
    # Narrow enough to be read instead of the wide rows when tens of thousands of matches are
    # counted by facet (SQLite looks each match up in it; see backends/sqlite.py).
    __table_args__ = (Index("ix_search_documents_codes", "story_id", "facet_code", "approved_on"),)

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    text_version_id: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    site_id: Mapped[int] = mapped_column(index=True)
    voice: Mapped[str] = mapped_column(String(30))
    story_type: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))  # audio | text
    approved_on: Mapped[date] = mapped_column(Date, index=True)
    word_count: Mapped[int] = mapped_column()
    # Confirmed themes as ",choice,trust," so that one theme is a LIKE '%,key,%' away.
    themes: Mapped[str] = mapped_column(String(400), default=",")
    # Every facet value packed in one integer (query.FacetCodec), grouped on in one pass.
    facet_code: Mapped[int] = mapped_column(BigInteger, index=True)
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
