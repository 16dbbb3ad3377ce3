"""Database housekeeping: is the schema current, back up SQLite, upgrade."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC
from datetime import datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from storybank import MIGRATIONS_DIR
from storybank.extensions import db


def is_sqlite(app: Flask) -> bool:
    """Return whether the app's database is a SQLite file."""
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


# SQLite gives the WAL, shared-memory and journal files the database file's own mode.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def create_private_file(path: Path) -> None:
    """Create `path` (and a missing folder, 0700) readable by this user only, or tighten it."""
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def secure_sqlite_files(database_uri: str) -> Path | None:
    """Make a SQLite database private (0600) before it is opened; return its path.

    A new file is created 0600, so SQLite makes its WAL and SHM 0600 too; an existing install's
    database and companions are tightened. Other databases are left alone (None).
    """
    url = make_url(database_uri)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    create_private_file(path)
    for suffix in _SQLITE_COMPANIONS[1:]:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.chmod(companion, 0o600)
    return path


def current_and_head(app: Flask) -> tuple[str | None, str | None]:
    """Return the database's migration revision and the newest one the code has."""
    secure_sqlite_files(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        script = ScriptDirectory(str(MIGRATIONS_DIR))
        # Flask-Migrate's ini is not read here; point Alembic at the scripts directly.
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        return current, script.get_current_head()


def backup_sqlite(app: Flask) -> Path | None:
    """Copy the SQLite file into instance/backups before a migration; return the copy."""
    path = Path(db.engine.url.database or "")
    if not path.is_file():
        return None
    folder = Path(app.instance_path) / "backups"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    create_private_file(target)  # a copy of everyone's stories: as private as the original
    # The sqlite3 backup API gives a consistent copy even if a worker is writing.
    with sqlite3.connect(path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def upgrade_database(app: Flask) -> None:
    """Apply every pending migration."""
    secure_sqlite_files(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))


def ensure_schema_for_serving(app: Flask) -> str:
    """Migrate a SQLite database (after a backup); refuse an out-of-date PostgreSQL one.

    Returns a line saying what was done.
    """
    current, head = current_and_head(app)
    if current == head:
        return "The database is up to date."
    if not is_sqlite(app):
        raise SystemExit(
            f"The database is at migration {current or 'none'} but this version of Storybank "
            f"needs {head}. Run 'storybank db upgrade' first, then start it again."
        )
    backup = None
    if current is not None:  # an unversioned file holds no Storybank data to keep
        with app.app_context():
            backup = backup_sqlite(app)
    upgrade_database(app)
    return f"Migrated the database to {head}" + (f" (backup: {backup})." if backup else ".")
