"""Full-text backends behind one interface: SQLite FTS5 (embedded) and PostgreSQL (scaled out)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storybank.search.backends.base import SearchBackend


def backend_for(session: Session) -> SearchBackend:
    """Return the backend for the database this session talks to."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from storybank.search.backends.sqlite import SqliteBackend

        return SqliteBackend(session)
    if dialect == "postgresql":
        from storybank.search.backends.postgres import PostgresBackend

        return PostgresBackend(session)
    raise RuntimeError(f"research search does not support the {dialect} database")
