"""The parts of backup and restore: finding pg_dump, media through any storage, the erasure log."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import BinaryIO

import pytest

from storybank.backup import database
from storybank.backup import engine
from storybank.backup.engine import BackupError
from storybank.backup.erasure_log import ErasureEntry
from storybank.backup.erasure_log import read_entries
from storybank.backup.erasure_log import write_entry
from storybank.core.storage import LocalStorage
from storybank.core.storage import StoredFile
from storybank.core.storage import copy_hashing


class MemoryStorage:
    """A storage with no local files (as S3 has none), listing its keys."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def save_stream(self, key: str, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        buffer = io.BytesIO()
        size, sha256 = copy_hashing(stream, buffer, max_bytes)
        self.files[key] = buffer.getvalue()
        return StoredFile(key, size, sha256)

    def open(self, key: str) -> BinaryIO:
        if key not in self.files:
            raise FileNotFoundError(key)
        return io.BytesIO(self.files[key])

    def list_keys(self) -> list[str]:
        return sorted(self.files)


def _fake_clients(monkeypatch, tmp_path: Path, majors: dict[str, int]) -> None:
    for name in majors:
        folder = tmp_path / name
        folder.mkdir()
        for program in ("pg_dump", "pg_restore"):
            (folder / program).write_text("")
    monkeypatch.setattr(database.shutil, "which", lambda _name: None)
    monkeypatch.setattr(database, "CLIENT_GLOBS", (str(tmp_path / "*"),))
    monkeypatch.setattr(database, "_client_major", lambda path: majors[path.parent.name])


def test_the_newest_pg_dump_is_chosen(monkeypatch, tmp_path):
    _fake_clients(monkeypatch, tmp_path, {"13": 13, "16": 16, "15": 15})
    client = database.find_postgres_client(15)
    assert (client.major, Path(client.pg_dump).parent.name) == (16, "16")
    assert Path(client.pg_restore).name == "pg_restore"


def test_a_pg_dump_older_than_the_server_is_refused_with_what_to_install(monkeypatch, tmp_path):
    _fake_clients(monkeypatch, tmp_path, {"13": 13})
    with pytest.raises(BackupError, match="older than the PostgreSQL 16 server") as caught:
        database.find_postgres_client(16)
    assert "postgresql-client-16" in str(caught.value)


def test_a_missing_pg_dump_is_a_clear_error(monkeypatch, tmp_path):
    _fake_clients(monkeypatch, tmp_path, {})
    with pytest.raises(BackupError, match="pg_dump was not found"):
        database.find_postgres_client(15)


def test_the_real_client_reports_its_major_version():
    found = database.shutil.which("pg_dump")
    if found is None:
        pytest.skip("no PostgreSQL client on this machine")
    assert database._client_major(Path(found)) >= 10


def test_the_database_password_never_goes_on_the_command_line():
    env = database.libpq_environment("postgresql+psycopg://ann:s3cret@db.example:5433/sb")
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.example", "5433", "ann")
    assert (env["PGPASSWORD"], env["PGDATABASE"]) == ("s3cret", "sb")


def test_media_go_out_and_back_through_a_storage_without_local_files(tmp_path):
    storage = MemoryStorage()
    storage.files = {"audio/ab12/original": b"RIFF....", "packs/7/pack.pdf": b"%PDF-1.7"}
    folder = tmp_path / "backup"
    engine.make_private_folder(folder)

    entries, vanished = engine.copy_media_out(storage, folder)

    assert vanished == 0
    assert [e.path for e in entries] == ["media/audio/ab12/original", "media/packs/7/pack.pdf"]
    restored = MemoryStorage()
    engine.copy_media_in(restored, folder, entries)
    assert restored.files == storage.files


def test_half_written_uploads_are_not_backed_up(tmp_path):
    (tmp_path / "media" / "audio" / "x").mkdir(parents=True)
    (tmp_path / "media" / "audio" / "x" / "original").write_bytes(b"whole")
    (tmp_path / "media" / "audio" / "x" / ".upload-k2j3").write_bytes(b"half")
    keys = list(engine.list_media_keys(LocalStorage(tmp_path / "media")))
    assert keys == ["audio/x/original"]


def test_a_manifest_naming_a_file_outside_the_backup_is_refused(tmp_path):
    folder = tmp_path / "backup"
    engine.make_private_folder(folder)
    (tmp_path / "secret").write_bytes(b"x")
    entry = engine.FileEntry("../secret", 1, "0" * 64)
    manifest = engine.Manifest("2026-12-02T00:00:00+00:00", "sqlite", "../secret", "r1", [entry])
    engine.write_manifest(folder, manifest)
    with pytest.raises(BackupError, match="outside the backup"):
        engine.verify_backup(folder)


def test_the_erasure_log_holds_ids_and_dates_only(tmp_path):
    storage = LocalStorage(tmp_path / "log")
    entry = ErasureEntry(
        7, "consent_withdrawn", "2026-12-01T10:00:00+00:00", None, ("audio/ab/",), 3
    )
    write_entry(storage, entry)
    write_entry(storage, entry)  # erasure run again: the same file, written again

    assert read_entries(storage) == [entry]
    data = json.loads((tmp_path / "log" / "7.json").read_text())
    assert set(data) == {
        "story_id", "reason", "started_at", "story_created_at", "media_prefixes", "erased_by_id",
    }  # fmt: skip


def test_a_sqlite_snapshot_taken_while_another_connection_writes_is_whole(tmp_path):
    live = tmp_path / "live.sqlite3"
    with sqlite3.connect(live) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)")
    stop = threading.Event()

    def write() -> None:
        connection = sqlite3.connect(live, timeout=10)
        while not stop.is_set():
            connection.execute("INSERT INTO t (pad) VALUES (?)", ("x" * 500,))
            connection.commit()
        connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(0.2)
        database.snapshot_sqlite(f"sqlite:///{live}", tmp_path / "copy.sqlite3")
    finally:
        stop.set()
        writer.join()

    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count, last = copy.execute("SELECT count(*), max(n) FROM t").fetchone()
    assert count > 0 and count == last  # every row up to the snapshot, none half-written
    assert not (tmp_path / "copy.sqlite3-wal").exists()
