"""storybank backup and restore: a round trip, damaged backups, and erasures made since."""

from __future__ import annotations

import json
import logging
import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from storybank.accounts.models import User
from storybank.backup.cli import backup_command
from storybank.backup.cli import restore_command
from storybank.backup.engine import BackupError
from storybank.backup.services import create_backup
from storybank.backup.services import restore_backup
from storybank.dbtools import upgrade_database
from storybank.extensions import db
from storybank.privacy.services import erase_story
from storybank.search.models import SearchDocument
from storybank.stories.models import Story
from tests.backup.conftest import Source
from tests.backup.conftest import media_hashes
from tests.backup.conftest import table_rows


def _backup(source: Source, folder: Path) -> None:
    result = source.app.test_cli_runner().invoke(backup_command, [str(folder)])
    assert result.exit_code == 0, result.output
    assert "Backed up the" in result.output


def test_a_backup_is_private_and_every_file_is_in_its_manifest(source, tmp_path):
    folder = tmp_path / "backup"
    _backup(source, folder)

    manifest = json.loads((folder / "manifest.json").read_text())
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert files == {entry["path"] for entry in manifest["files"]} | {"manifest.json"}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    kind = source.app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]
    assert manifest["database"]["kind"] == kind
    assert manifest["schema_revision"] and manifest["created_at"]
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])
    media = [e["path"] for e in manifest["files"] if e["path"].startswith("media/")]
    assert {m.removeprefix("media/") for m in media} == set(media_hashes(source.media))


def test_a_restore_into_an_empty_instance_gives_the_same_rows_and_files(
    source, empty_target, tmp_path
):
    folder = tmp_path / "backup"
    _backup(source, folder)

    result = empty_target.test_cli_runner().invoke(restore_command, [str(folder)])

    assert result.exit_code == 0, result.output
    assert "Re-applied 0 erasure(s)" in result.output
    before, after = table_rows(source.app), table_rows(empty_target)
    assert before["stories"] and before["search_documents"] and before["story_audio"]
    assert after == before
    target_media = Path(empty_target.config["MEDIA_URL"].removeprefix("file://"))
    assert media_hashes(target_media) == media_hashes(source.media)
    assert len(media_hashes(target_media)) >= 2  # the original and its 16 kHz copy at least


def test_an_erasure_after_the_backup_is_applied_again_on_restore(source, empty_target, tmp_path):
    folder = tmp_path / "backup"
    with source.app.app_context():
        create_backup(folder)
        admin = db.session.get(User, source.admin_id)
        erase_story(admin, source.audio_id)

    written: list[str] = []
    storage = empty_target.extensions["storybank_storage"]
    save_stream = storage.save_stream
    storage.save_stream = lambda key, *args, **kw: (
        written.append(key) or save_stream(key, *args, **kw)
    )
    with empty_target.app_context():
        summary = restore_backup(folder)

        assert written == [], "the erased story's recording is never written back"
        assert summary.erasures_reapplied == [source.audio_id]
        assert db.session.get(Story, source.audio_id) is None
        assert db.session.get(SearchDocument, source.audio_id) is None
        assert db.session.get(Story, source.text_id) is not None
        assert db.session.get(SearchDocument, source.text_id) is not None
        found = db.session.scalars(select(SearchDocument.story_id)).all()
        assert found == [source.text_id]
    target_media = Path(empty_target.config["MEDIA_URL"].removeprefix("file://"))
    assert media_hashes(target_media) == {}
    assert media_hashes(source.media) == {}
    # The same tombstone, but for the moment it was finished (on restore, not before).
    restored = [row[:5] + row[6:] for row in table_rows(empty_target)["story_tombstones"]]
    assert restored == [row[:5] + row[6:] for row in table_rows(source.app)["story_tombstones"]]


def test_a_damaged_backup_is_refused_and_nothing_changes(source, empty_target, tmp_path):
    folder = tmp_path / "backup"
    _backup(source, folder)
    damaged = next(p for p in (folder / "media").rglob("*") if p.is_file())
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))

    result = empty_target.test_cli_runner().invoke(restore_command, [str(folder)])

    assert result.exit_code != 0
    assert "damaged" in result.output and "does not match its checksum" in result.output
    assert "Nothing was changed" in result.output
    assert table_rows(empty_target) == {}
    target_media = Path(empty_target.config["MEDIA_URL"].removeprefix("file://"))
    assert media_hashes(target_media) == {}


def test_a_backup_without_its_manifest_is_refused(source, empty_target, tmp_path):
    folder = tmp_path / "backup"
    _backup(source, folder)
    (folder / "manifest.json").unlink()
    with empty_target.app_context(), pytest.raises(BackupError, match=r"no manifest\.json"):
        restore_backup(folder)


def test_a_restore_refuses_an_instance_that_holds_data_unless_forced(source, tmp_path):
    folder = tmp_path / "backup"
    _backup(source, folder)

    result = source.app.test_cli_runner().invoke(restore_command, [str(folder)])
    assert result.exit_code != 0
    assert "not empty" in result.output and "--force" in result.output

    before = table_rows(source.app)
    forced = source.app.test_cli_runner().invoke(restore_command, [str(folder), "--force"])
    assert forced.exit_code == 0, forced.output
    (safety,) = (Path(source.app.instance_path) / "backups").iterdir()
    assert safety.name.startswith("before-restore-") and (safety / "manifest.json").is_file()
    assert str(safety) in forced.output
    assert table_rows(source.app) == before


def test_a_backup_into_a_folder_that_holds_files_is_refused(source, tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "other.txt").write_text("keep me")
    with source.app.app_context(), pytest.raises(BackupError, match="not empty"):
        create_backup(folder)
    assert (folder / "other.txt").read_text() == "keep me"


def test_a_restore_into_a_freshly_migrated_instance_works(source, empty_target, tmp_path):
    folder = tmp_path / "backup"
    _backup(source, folder)
    upgrade_database(empty_target)  # what `storybank db upgrade` leaves: tables, no data

    result = empty_target.test_cli_runner().invoke(restore_command, [str(folder)])

    assert result.exit_code == 0, result.output
    assert table_rows(empty_target) == table_rows(source.app)


def test_a_forced_restore_reapplies_the_replaced_databases_own_tombstones(
    source, tmp_path, erasure_log
):
    folder = tmp_path / "backup"
    with source.app.app_context():
        create_backup(folder)
        erase_story(db.session.get(User, source.admin_id), source.audio_id)
    shutil.rmtree(Path(erasure_log.removeprefix("file://")))  # the log is lost as well

    with source.app.app_context():
        summary = restore_backup(folder, force=True)

        assert summary.erasures_reapplied == [source.audio_id]
        assert db.session.get(Story, source.audio_id) is None
        assert db.session.get(SearchDocument, source.audio_id) is None
        assert db.session.get(Story, source.text_id) is not None
    assert media_hashes(source.media) == {}


def test_a_backup_from_a_newer_storybank_is_refused(source, empty_target, tmp_path):
    folder = tmp_path / "backup"
    _backup(source, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["schema_revision"] = "ffffffffffff"
    (folder / "manifest.json").write_text(json.dumps(manifest))

    result = empty_target.test_cli_runner().invoke(restore_command, [str(folder)])

    assert result.exit_code != 0 and "made by a newer one" in result.output
    assert table_rows(empty_target) == {}


def test_backup_and_restore_never_log_story_text(source, empty_target, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    folder = tmp_path / "backup"
    with source.app.app_context():
        create_backup(folder)
        erase_story(db.session.get(User, source.admin_id), source.text_id)
    with empty_target.app_context():
        restore_backup(folder)
    assert "restore finished" in caplog.text
    for words in ("enabling fund", "Harbourne", "A bike for work", "Robin"):
        assert words not in caplog.text


def test_postgres_refuses_a_schema_of_another_revision(source, empty_target, tmp_path):
    if not source.app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("only pg_restore --clean leaves objects the dump does not hold")
    folder = tmp_path / "backup"
    _backup(source, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["schema_revision"] = "c7a8649ed400"  # the first migration
    (folder / "manifest.json").write_text(json.dumps(manifest))
    upgrade_database(empty_target)

    result = empty_target.test_cli_runner().invoke(restore_command, [str(folder)])

    assert result.exit_code != 0 and "Restore into an empty database" in result.output


def test_a_restore_makes_a_sqlite_instance_whose_folder_does_not_exist_yet(
    source, make_app, tmp_path
):
    if source.app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("a SQLite file only")
    folder = tmp_path / "backup"
    _backup(source, folder)
    target = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'new-machine' / 'storybank.sqlite3'}",
        MEDIA_URL=f"file://{tmp_path / 'new-media'}",
    )

    result = target.test_cli_runner().invoke(restore_command, [str(folder)])

    assert result.exit_code == 0, result.output
    assert table_rows(target) == table_rows(source.app)
    database = tmp_path / "new-machine" / "storybank.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
