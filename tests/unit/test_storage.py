"""Local media storage: private modes, no empty folders after a refusal, and the debris sweep."""

from __future__ import annotations

import io
import os
import stat
import time
from pathlib import Path

import pytest

from storybank.core.storage import LocalStorage
from storybank.core.storage import StorageTooLarge
from storybank.core.storage import SweepResult


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


def test_stored_files_are_0600_and_their_folders_0700(storage, tmp_path):
    old_umask = os.umask(0o022)  # a typical umask, which would give 0644 and 0755
    try:
        storage.save_stream("audio/abc/original", io.BytesIO(b"sound"))
    finally:
        os.umask(old_umask)
    root = tmp_path / "media"
    assert _mode(root / "audio/abc/original") == 0o600
    assert [_mode(folder) for folder in (root, root / "audio", root / "audio/abc")] == [0o700] * 3


def test_a_refused_upload_leaves_no_file_and_no_empty_folder(storage, tmp_path):
    with pytest.raises(StorageTooLarge):
        storage.save_stream("audio/refused/original", io.BytesIO(b"x" * 100), max_bytes=10)
    assert not (tmp_path / "media/audio").exists()


def test_deleting_a_rejected_recording_removes_its_folder_but_not_the_root(storage, tmp_path):
    storage.save_stream("audio/rejected/original", io.BytesIO(b"not audio"))
    storage.save_stream("audio/kept/original", io.BytesIO(b"sound"))
    storage.delete("audio/rejected/original")
    assert sorted(p.name for p in (tmp_path / "media/audio").iterdir()) == ["kept"]
    storage.delete("audio/kept/original")
    assert [p.name for p in (tmp_path / "media").iterdir()] == []


def test_sweep_removes_old_partial_uploads_and_empty_folders(storage, tmp_path):
    root = tmp_path / "media"
    storage.save_stream("audio/done/original", io.BytesIO(b"sound"))
    crashed = root / "audio/crashed"
    crashed.mkdir(parents=True)
    partial = crashed / ".upload-abc123"
    partial.write_bytes(b"half a recording")
    empty = root / "audio/empty"
    empty.mkdir()
    for path in (partial, crashed, empty):
        _age(path, 7200)
    result = storage.sweep(grace_seconds=3600)
    assert (result.partial_uploads, result.empty_folders) == (1, 2)
    assert sorted(p.name for p in (root / "audio").iterdir()) == ["done"]
    assert (root / "audio/done/original").read_bytes() == b"sound"


def test_sweep_leaves_a_live_upload_and_a_new_folder_alone(storage, tmp_path):
    root = tmp_path / "media"
    live = root / "audio/live"
    live.mkdir(parents=True)
    (live / ".upload-live").write_bytes(b"still arriving")
    (root / "audio/just-made").mkdir()
    assert storage.sweep(grace_seconds=3600) == SweepResult(0, 0)
    assert (live / ".upload-live").exists()
    assert (root / "audio/just-made").is_dir()


def test_sweep_of_a_missing_root_does_nothing(tmp_path):
    assert LocalStorage(tmp_path / "nowhere").sweep().partial_uploads == 0
