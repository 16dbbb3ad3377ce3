"""The backup folder itself: private files, the checksum manifest, and copying media in and out.

No Flask and no database session here: storage is passed in, paths are plain paths.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import BinaryIO

from storybank.core.storage import CHUNK_BYTES
from storybank.core.storage import LocalStorage
from storybank.core.storage import S3Storage
from storybank.core.storage import Storage
from storybank.core.storage import copy_hashing

MANIFEST = "manifest.json"
FORMAT = 1
MEDIA_DIR = "media"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


@dataclass
class FileEntry:
    """One file of a backup: its path inside the folder, size and SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass
class Manifest:
    """What a backup holds, written last so that a half-written backup has none."""

    created_at: str
    database_kind: str
    database_file: str
    schema_revision: str | None
    files: list[FileEntry] = field(default_factory=list)
    format: int = FORMAT

    def to_json(self) -> str:
        """Return the manifest as JSON."""
        data = {
            "format": self.format,
            "created_at": self.created_at,
            "database": {"kind": self.database_kind, "file": self.database_file},
            "schema_revision": self.schema_revision,
            "files": [vars(entry) for entry in self.files],
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; raise BackupError when it is not one."""
        try:
            data = json.loads(text)
            if data["format"] != FORMAT:
                raise BackupError(f"This backup has format {data['format']}; expected {FORMAT}.")
            files = [
                FileEntry(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in data["files"]
            ]
            return cls(
                created_at=str(data["created_at"]),
                database_kind=str(data["database"]["kind"]),
                database_file=str(data["database"]["file"]),
                schema_revision=data["schema_revision"],
                files=files,
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BackupError("The backup's manifest.json is damaged or not a manifest.") from error

    def media_entries(self) -> list[FileEntry]:
        """Return the media files, each path starting with media/."""
        return [entry for entry in self.files if entry.path.startswith(MEDIA_DIR + "/")]


def make_private_folder(folder: Path) -> None:
    """Create the backup folder 0700; refuse one that already holds anything."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} already exists and is not empty. Give a new folder.")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def _make_private_folders(folder: Path) -> None:
    # mkdir(parents=True) gives parents the default mode: make each missing level 0700.
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def open_private(path: Path) -> BinaryIO:
    """Create a new file 0600 (and its folders 0700) for writing."""
    _make_private_folders(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(descriptor, "wb")


def hash_file(path: Path) -> FileEntry:
    """Return the file's size and SHA-256 (path left for the caller to set)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return FileEntry(path=path.name, size=size, sha256=digest.hexdigest())


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write the manifest atomically, 0600."""
    temp = folder / (MANIFEST + ".tmp")
    with open_private(temp) as out:
        out.write(manifest.to_json().encode())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, folder / MANIFEST)


def iter_keys(storage: Storage, prefix: str = "") -> Iterator[str]:
    """Yield every stored key that starts with prefix (a folder ending in '/', or '')."""
    lister = getattr(storage, "list_keys", None)
    if lister is not None:
        yield from (key for key in lister() if key.startswith(prefix))
    elif isinstance(storage, LocalStorage):
        yield from _local_keys(storage.root, prefix)
    elif isinstance(storage, S3Storage):
        yield from _s3_keys(storage, prefix)
    else:
        raise BackupError(f"Listing {type(storage).__name__} media is not supported.")


def list_media_keys(storage: Storage) -> Iterator[str]:
    """Yield every stored key except half-written uploads."""
    for key in iter_keys(storage):
        if Path(key).name.startswith(".upload-"):
            continue
        yield key


def _local_keys(root: Path, prefix: str) -> Iterator[str]:
    folder = root / prefix if prefix else root
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix()


def _s3_keys(storage: S3Storage, prefix: str) -> Iterator[str]:
    start = f"{storage.prefix}/" if storage.prefix else ""
    paginator = storage.client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=storage.bucket, Prefix=start + prefix):
        for item in page.get("Contents", []):
            yield item["Key"][len(start) :]


def copy_media_out(storage: Storage, folder: Path) -> tuple[list[FileEntry], int]:
    """Copy every media file into folder/media; return the entries and how many vanished.

    A file deleted between listing and copying (an erasure running now) is skipped: the
    erasure log re-applies that erasure on restore.
    """
    entries: list[FileEntry] = []
    vanished = 0
    for key in list_media_keys(storage):
        target = folder / MEDIA_DIR / key
        try:
            source = storage.open(key)
        except Exception as error:  # FileNotFoundError, or boto3's ClientError for S3
            if not _is_missing(error):
                raise
            vanished += 1
            continue
        with source, open_private(target) as out:
            size, sha256 = copy_hashing(source, out, None)
            out.flush()
            os.fsync(out.fileno())
        entries.append(FileEntry(f"{MEDIA_DIR}/{key}", size, sha256))
    return entries, vanished


def _is_missing(error: BaseException) -> bool:
    if isinstance(error, FileNotFoundError):
        return True
    response: Any = getattr(error, "response", None)
    code = str((response or {}).get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def verify_backup(folder: Path) -> Manifest:
    """Check every file against the manifest; raise BackupError naming the first damage."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(
            f"{folder} has no {MANIFEST}: it is not a finished Storybank backup. "
            "Nothing was changed."
        )
    manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
    listed = {entry.path for entry in manifest.files}
    if manifest.database_file not in listed:
        raise BackupError(
            "The backup's manifest does not list its database file. Nothing was changed."
        )
    root = folder.resolve()
    for entry in manifest.files:
        path = (folder / entry.path).resolve()
        if not path.is_relative_to(root):
            raise BackupError(f"The manifest names a file outside the backup ({entry.path}).")
        if not path.is_file():
            raise BackupError(
                f"The backup is damaged: {entry.path} is missing. Nothing was changed."
            )
        found = hash_file(path)
        if (found.size, found.sha256) != (entry.size, entry.sha256):
            raise BackupError(
                f"The backup is damaged: {entry.path} does not match its checksum in {MANIFEST}. "
                "Nothing was changed; use another backup."
            )
    return manifest


def copy_media_in(
    storage: Storage, folder: Path, entries: list[FileEntry], skip_prefixes: tuple[str, ...] = ()
) -> int:
    """Write each backed-up media file into storage, checking what was stored; return bytes.

    Files under `skip_prefixes` (the folders of stories erased since) are never written back.
    """
    total = 0
    for entry in entries:
        key = entry.path[len(MEDIA_DIR) + 1 :]
        if skip_prefixes and key.startswith(skip_prefixes):
            continue
        with (folder / entry.path).open("rb") as source:
            stored = storage.save_stream(key, source)
        if stored.sha256 != entry.sha256:
            raise BackupError(f"Media storage stored {key} with a different checksum.")
        total += stored.size
    return total
