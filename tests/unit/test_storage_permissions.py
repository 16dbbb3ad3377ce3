"""The SQLite database, its WAL and SHM, its backups and the queue file are private (0600)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from storybank import dbtools
from storybank.core.jobs import huey_from_url
from storybank.dbtools import secure_sqlite_files
from storybank.extensions import db


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """A typical umask (022), under which files would otherwise be 0644 for everyone to read."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _write_in_wal_mode(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE stories (body TEXT)")
    connection.execute("INSERT INTO stories VALUES ('a story')")
    connection.commit()
    return connection


def test_a_new_sqlite_database_and_its_wal_and_shm_are_0600(tmp_path):
    path = secure_sqlite_files(f"sqlite:///{tmp_path / 'instance' / 'storybank.sqlite3'}")
    assert path == tmp_path / "instance" / "storybank.sqlite3"
    connection = _write_in_wal_mode(path)
    try:
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert [_mode(file) for file in files] == [0o600] * 3
        assert _mode(path.parent) == 0o700
    finally:
        connection.close()


def test_an_existing_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.sqlite3"
    connection = _write_in_wal_mode(path)
    try:
        wal = path.with_name(path.name + "-wal")
        assert _mode(path) == _mode(wal) == 0o644
        secure_sqlite_files(f"sqlite:///{path}")
        assert _mode(path) == _mode(wal) == 0o600
    finally:
        connection.close()


def test_server_databases_are_left_alone():
    assert secure_sqlite_files("postgresql://postgres@127.0.0.1/storybank") is None
    assert secure_sqlite_files("sqlite://") is None


def test_the_sqlite_queue_is_0600(tmp_path):
    huey = huey_from_url(f"sqlite:///{tmp_path / 'q' / 'queue.sqlite3'}")
    huey.storage.enqueue(b"1")
    assert _mode(tmp_path / "q" / "queue.sqlite3") == 0o600
    assert _mode(tmp_path / "q") == 0o700


def test_serving_creates_the_database_and_its_backup_0600(make_app, tmp_path):
    path = tmp_path / "instance" / "served.sqlite3"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    dbtools.ensure_schema_for_serving(app)  # the first look at the schema creates the file
    with app.app_context():
        backup = dbtools.backup_sqlite(app)
        db.engine.dispose()
    assert _mode(path) == 0o600
    assert _mode(path.with_name(path.name + "-wal")) == 0o600
    assert _mode(backup) == 0o600
