"""Database housekeeping: is the schema current, back up SQLite, upgrade."""

from __future__ import annotations

import sqlite3
from datetime import UTC
from datetime import datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from storybank import MIGRATIONS_DIR
from storybank.extensions import db


def is_sqlite(app: Flask) -> bool:
    """Return whether the app's database is a SQLite file."""
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def current_and_head(app: Flask) -> tuple[str | None, str | None]:
    """Return the database's migration revision and the newest one the code has."""
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
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    # The sqlite3 backup API gives a consistent copy even if a worker is writing.
    with sqlite3.connect(path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def upgrade_database(app: Flask) -> None:
    """Apply every pending migration."""
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
