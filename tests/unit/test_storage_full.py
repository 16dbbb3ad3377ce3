"""A full disk while saving: StorageFull, and no half-written file or empty folder left."""

from __future__ import annotations

import errno
import io
import tempfile
from pathlib import Path

import pytest

from storybank.core import storage as storage_module
from storybank.core.errors import StorageFull
from storybank.core.storage import LocalStorage


def _full(*_args: object, **_kwargs: object) -> object:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_while_writing_leaves_nothing(tmp_path: Path, monkeypatch):
    storage = LocalStorage(tmp_path / "media")
    (tmp_path / "media").mkdir()
    monkeypatch.setattr(storage_module, "copy_hashing", _full)
    with pytest.raises(StorageFull) as raised:
        storage.save_stream("audio/abc/original", io.BytesIO(b"x" * 100))
    assert raised.value.status == 507
    assert list((tmp_path / "media").rglob("*")) == []


def test_disk_full_before_the_first_byte_leaves_no_empty_folder(tmp_path: Path, monkeypatch):
    storage = LocalStorage(tmp_path / "media")
    (tmp_path / "media").mkdir()
    monkeypatch.setattr(tempfile, "mkstemp", _full)
    with pytest.raises(StorageFull):
        storage.save_stream("audio/abc/original", io.BytesIO(b"x"))
    assert list((tmp_path / "media").rglob("*")) == []


def test_quota_exceeded_is_storage_full_too(tmp_path: Path, monkeypatch):
    storage = LocalStorage(tmp_path / "media")

    def over_quota(*_args: object) -> object:
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(storage_module, "copy_hashing", over_quota)
    with pytest.raises(StorageFull):
        storage.save_stream("a/b", io.BytesIO(b"x"))


def test_other_os_errors_are_not_called_a_full_disk(tmp_path: Path, monkeypatch):
    storage = LocalStorage(tmp_path / "media")

    def broken(*_args: object) -> object:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(storage_module, "copy_hashing", broken)
    with pytest.raises(OSError) as raised:
        storage.save_stream("a/b", io.BytesIO(b"x"))
    assert not isinstance(raised.value, StorageFull)
    assert list((tmp_path / "media").rglob("*")) == []
