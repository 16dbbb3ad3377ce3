"""Back up an instance, and restore one: the database, the media, and erasures made since.

Run inside an app context. Logs carry counts, sizes and story ids, never story text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text

from storybank import MIGRATIONS_DIR
from storybank.backup import database
from storybank.backup import engine
from storybank.backup.engine import BackupError
from storybank.backup.engine import Manifest
from storybank.backup.erasure_log import ErasureEntry
from storybank.backup.erasure_log import entry_from_tombstone
from storybank.backup.erasure_log import erasure_log_storage
from storybank.backup.erasure_log import read_entries
from storybank.backup.reapply import reapply_erasures
from storybank.core.storage import Storage
from storybank.dbtools import current_and_head
from storybank.dbtools import upgrade_database
from storybank.extensions import db

log = logging.getLogger(__name__)

# Tables whose rows make an instance "not empty": what people put in, not what migrations seed.
DATA_TABLES = ("users", "stories", "story_tombstones")


@dataclass(frozen=True)
class BackupSummary:
    """What a backup wrote."""

    folder: Path
    database_kind: str
    schema_revision: str | None
    media_files: int
    total_bytes: int
    vanished: int


@dataclass
class RestoreSummary:
    """What a restore did."""

    database_kind: str
    schema_revision: str | None
    media_files: int
    upgraded_to: str | None = None
    erasures_reapplied: list[int] = field(default_factory=list)
    safety_backup: Path | None = None


def _storage() -> Storage:
    return current_app.extensions["storybank_storage"]


def _url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _server_major() -> int:
    with db.engine.connect() as connection:
        number = connection.execute(text("SHOW server_version_num")).scalar_one()
    return int(number) // 10000


def create_backup(folder: Path) -> BackupSummary:
    """Write a consistent snapshot: the database first, then media, then the manifest."""
    url, storage = _url(), _storage()
    kind = database.database_kind(url)
    client = database.find_postgres_client(_server_major()) if kind == "postgresql" else None
    revision, _head = current_and_head(current_app._get_current_object())  # type: ignore[attr-defined]
    engine.make_private_folder(folder)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    # Database before media: a file uploaded meanwhile is an unreferenced extra, never a
    # referenced file that is missing.
    if client is not None:
        db_file = database.POSTGRES_FILE
        database.dump_postgres(client, url, folder / db_file)
    else:
        db_file = database.SQLITE_FILE
        database.snapshot_sqlite(url, folder / db_file)
    db_entry = engine.hash_file(folder / db_file)
    media, vanished = engine.copy_media_out(storage, folder)
    manifest = Manifest(created_at, kind, db_file, revision, [db_entry, *media])
    engine.write_manifest(folder, manifest)
    total = sum(entry.size for entry in manifest.files)
    log.info("backup written: %s database, %d media files, %d bytes", kind, len(media), total)
    return BackupSummary(folder, kind, revision, len(media), total, vanished)


def _database_exists(url: str) -> bool:
    return database.database_kind(url) != "sqlite" or database.sqlite_path(url).exists()


def instance_holds_data() -> list[str]:
    """Return what makes this instance non-empty (tables with rows, media files); [] if empty."""
    found = []
    if _database_exists(_url()):  # never create a SQLite file just to look in it
        existing = set(inspect(db.engine).get_table_names())
        for table in DATA_TABLES:
            if table in existing:
                query = text(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - a fixed name
                if count := db.session.execute(query).scalar_one():
                    found.append(f"{count} row(s) in {table}")
        db.session.rollback()
    # One file is enough to say so: never list a whole bucket here.
    if next(engine.list_media_keys(_storage()), None) is not None:
        found.append("files in media storage")
    return found


def _check_revision(manifest: Manifest) -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revision = manifest.schema_revision
    if revision is not None:
        try:
            script.get_revision(revision)
        except Exception as error:
            raise BackupError(
                f"The backup's schema revision {revision} is unknown to this version of "
                "Storybank (it was made by a newer one). Restore it with that version."
            ) from error


def _check_postgres_target(manifest: Manifest) -> None:
    """pg_restore --clean drops only what the dump holds: refuse a schema of another revision."""
    current, _head = current_and_head(current_app._get_current_object())  # type: ignore[attr-defined]
    if current is not None and current != manifest.schema_revision:
        raise BackupError(
            f"The database is at migration {current} and the backup at "
            f"{manifest.schema_revision}. Restore into an empty database (dropdb, then createdb). "
            "Nothing was changed."
        )


def restore_backup(folder: Path, force: bool = False) -> RestoreSummary:
    """Check the backup whole, restore it into an empty instance, then re-apply erasures.

    A damaged backup, a backup of the other database kind, or a non-empty instance without
    `force` is refused before anything changes. With `force`, what is there is backed up first
    into instance/backups/, and its tombstones are re-applied too.
    """
    manifest = engine.verify_backup(folder)
    url, storage = _url(), _storage()
    kind = database.database_kind(url)
    if manifest.database_kind != kind:
        raise BackupError(
            f"This is a {manifest.database_kind} backup and the instance uses {kind}. "
            "Nothing was changed."
        )
    _check_revision(manifest)
    client = None
    if kind == "postgresql":
        client = database.find_postgres_client(_server_major())
        _check_postgres_target(manifest)
    entries = {entry.story_id: entry for entry in read_entries(erasure_log_storage())}
    summary = RestoreSummary(kind, manifest.schema_revision, len(manifest.media_entries()))
    held = instance_holds_data()
    if held and not force:
        raise BackupError(
            "The instance is not empty (" + ", ".join(held) + "). Restore into an empty "
            "instance, or add --force to replace it (it is backed up first). Nothing was changed."
        )
    if held:
        summary.safety_backup = _safety_backup()
        for entry in _live_tombstones():
            entries.setdefault(entry.story_id, entry)
    db.session.remove()
    db.engine.dispose()
    db_file = folder / manifest.database_file
    if client is not None:
        has_tables = bool(inspect(db.engine).get_table_names())
        db.engine.dispose()
        database.restore_postgres(client, db_file, url, clean=has_tables)
    else:
        database.restore_sqlite(db_file, url)
    erased = tuple(p for entry in entries.values() for p in entry.media_prefixes if p)
    engine.copy_media_in(storage, folder, manifest.media_entries(), skip_prefixes=erased)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    current, head = current_and_head(app)
    if current != head:
        upgrade_database(app)
        summary.upgraded_to = head
    summary.erasures_reapplied = reapply_erasures(list(entries.values()))
    log.info(
        "restore finished: %s database, %d media files, %d erasure(s) re-applied",
        kind,
        summary.media_files,
        len(summary.erasures_reapplied),
    )
    return summary


def _safety_backup() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(current_app.instance_path) / "backups" / f"before-restore-{stamp}"
    return create_backup(folder).folder


def _live_tombstones() -> list[ErasureEntry]:
    from storybank.privacy.models import StoryTombstone

    if "story_tombstones" not in set(inspect(db.engine).get_table_names()):
        return []
    entries = [entry_from_tombstone(t) for t in db.session.scalars(select(StoryTombstone))]
    db.session.rollback()
    return entries
