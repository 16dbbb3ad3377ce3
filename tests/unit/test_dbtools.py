"""Serving migrates SQLite after a backup, and refuses an out-of-date server database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storybank import dbtools


@pytest.fixture
def fresh_sqlite_app(make_app, tmp_path):
    path = tmp_path / "instance" / "fresh.sqlite3"
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).close()  # an existing file with no schema: a pending migration
    return make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"), path


def test_serving_a_new_sqlite_file_migrates_it(fresh_sqlite_app):
    app, _path = fresh_sqlite_app
    current, head = dbtools.current_and_head(app)
    assert current is None and head is not None
    message = dbtools.ensure_schema_for_serving(app)
    assert message == f"Migrated the database to {head}."
    assert dbtools.current_and_head(app) == (head, head)
    assert dbtools.ensure_schema_for_serving(app) == "The database is up to date."


def test_sqlite_backup_is_a_consistent_copy(fresh_sqlite_app):
    app, _path = fresh_sqlite_app
    dbtools.upgrade_database(app)
    with app.app_context():
        backup = dbtools.backup_sqlite(app)
    assert backup is not None
    assert backup.parent == Path(app.instance_path) / "backups"
    with sqlite3.connect(backup) as copy:
        tables = {row[0] for row in copy.execute("select name from sqlite_master")}
    assert {"stories", "users", "alembic_version"} <= tables


def test_serving_a_server_database_that_is_not_migrated_refuses(fresh_sqlite_app, monkeypatch):
    app, _ = fresh_sqlite_app
    monkeypatch.setattr(dbtools, "is_sqlite", lambda app: False)
    with pytest.raises(SystemExit, match="Run 'storybank db upgrade' first"):
        dbtools.ensure_schema_for_serving(app)
    assert dbtools.current_and_head(app)[0] is None


def test_serving_an_older_sqlite_database_backs_it_up_then_migrates(fresh_sqlite_app):
    from flask_migrate import upgrade

    from storybank import MIGRATIONS_DIR

    app, _path = fresh_sqlite_app
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="c7a8649ed400")  # the first release
    current, head = dbtools.current_and_head(app)
    assert current == "c7a8649ed400" != head
    message = dbtools.ensure_schema_for_serving(app)
    assert message.startswith(f"Migrated the database to {head} (backup: ")
    [backup] = (Path(app.instance_path) / "backups").glob("fresh-*.sqlite3")
    with sqlite3.connect(backup) as copy:
        assert copy.execute("select version_num from alembic_version").fetchone() == (current,)
    assert dbtools.current_and_head(app) == (head, head)
