"""The declarative base, with the constraint naming convention Alembic batch mode needs."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC
from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy import MetaData
from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Session, "before_flush")
def _drop_nul_characters(session: Session, _context: object, _instances: object) -> None:
    """No text column keeps a NUL, on either database: PostgreSQL refuses one (a server error)
    and SQLite would keep what PostgreSQL cannot. The web refuses NUL in forms; this catches
    every other way in (a service, the command line, an import)."""
    for instance in (*session.new, *session.dirty):
        state = inspect(instance)
        columns = state.mapper.column_attrs.keys()
        for key, value in list(state.dict.items()):  # loaded values only: nothing is fetched
            if isinstance(value, str) and "\x00" in value and key in columns:
                setattr(instance, key, value.replace("\x00", ""))


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: object, _record: object) -> None:
    """Let the web process and the worker share a SQLite file safely."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, so an erased story is not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def scrub_sqlite(engine: Engine, attempts: int = 20) -> bool:
    """Make deleted content unreadable in a SQLite file: FTS optimise, then WAL checkpoint.

    `secure_delete` zeroes freed space in the main file, but old page copies stay in the WAL
    until a checkpoint, and FTS5 keeps index segments until an `optimize`. Returns whether the
    WAL was emptied (another connection reading at the moment can hold it; it is retried).
    """
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE '%USING fts5%'"
        ).scalars()
        for table in list(tables):
            connection.exec_driver_sql(f'INSERT INTO "{table}"("{table}") VALUES(\'optimize\')')
        connection.commit()
        for _ in range(attempts):
            busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy:
                return True
            time.sleep(0.05)
    return False
