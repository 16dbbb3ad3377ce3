"""Where files live: a small interface, local folders by default, S3-compatible when scaled out."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO
from typing import Protocol
from urllib.parse import urlparse

from storybank.core.errors import StorageFull

CHUNK_BYTES = 1024 * 1024
# A half-written upload or an empty folder untouched this long is debris, not work in progress:
# every chunk written moves a live upload's modification time on.
UPLOAD_GRACE_SECONDS = 3600
PARTIAL_PREFIX = ".upload-"
FILE_MODE = 0o600
FOLDER_MODE = 0o700


@dataclass(frozen=True)
class StoredFile:
    """A file that is safely in storage."""

    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SweepResult:
    """What a sweep removed: half-written uploads and empty folders."""

    partial_uploads: int = 0
    empty_folders: int = 0


class StorageTooLarge(Exception):
    """The stream was longer than the limit; nothing was kept."""


class Storage(Protocol):
    """What every storage backend offers."""

    def save_stream(self, key: str, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        """Stream into storage chunk by chunk, hashing on the way; never hold it whole."""
        ...

    def local_path(self, key: str) -> contextlib.AbstractContextManager[Path]:
        """Give a local file path for reading (a temporary copy for remote storage)."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading."""
        ...

    def direct_path(self, key: str) -> Path | None:
        """Return the file's own path if it is on this machine (for ranged replies), else None."""
        ...

    def delete(self, key: str) -> None:
        """Delete a stored file if it exists."""
        ...

    def exists(self, key: str) -> bool:
        """Return whether a file is stored under the key."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every file whose key starts with the folder `prefix/`; return how many."""
        ...

    def sweep(self, grace_seconds: int = UPLOAD_GRACE_SECONDS) -> SweepResult:
        """Remove half-written uploads and empty folders untouched for the grace period."""
        ...


# Out of disk space, or over the user's quota: the same to the person uploading.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


@contextlib.contextmanager
def raising_storage_full() -> Iterator[None]:
    """Turn a full disk (or quota) into StorageFull, which forms show to the person."""
    try:
        yield
    except OSError as error:
        if error.errno in NO_SPACE_ERRNOS:
            raise StorageFull() from error
        raise


def _check_key(key: str) -> str:
    parts = Path(key).parts
    if not parts or key.startswith("/") or ".." in parts:
        raise ValueError("storage keys are relative paths without '..'")
    return key


def copy_hashing(stream: BinaryIO, target: BinaryIO, max_bytes: int | None) -> tuple[int, str]:
    """Copy a stream, returning its size and SHA-256; raise StorageTooLarge past the limit."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise StorageTooLarge(f"over {max_bytes} bytes")
        digest.update(chunk)
        target.write(chunk)
    return size, digest.hexdigest()


class LocalStorage:
    """Files under a folder on this machine, private to its user (files 0600, folders 0700).

    Writes are atomic (temp file, fsync, rename); deleting a file removes folders it leaves empty.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def _make_folders(self, folder: Path) -> None:
        # mkdir(parents=True) gives the parents the default mode: make each level 0700 instead.
        missing = []
        while not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):
                path.mkdir(mode=FOLDER_MODE)

    def _prune_folders(self, folder: Path) -> None:
        """Remove `folder` and its parents while they are empty, up to the root."""
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty, or already gone
                return
            folder = folder.parent

    def _open_partial(self, folder: Path) -> tuple[int, str]:
        # A sweep may remove an old empty folder just as an upload starts in it: try again.
        for attempt in range(3):
            self._make_folders(folder)
            try:
                return tempfile.mkstemp(dir=folder, prefix=PARTIAL_PREFIX)  # 0600
            except FileNotFoundError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def save_stream(self, key: str, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        path = self._path(key)
        with raising_storage_full():
            try:
                fd, temp_name = self._open_partial(path.parent)
            except BaseException:
                self._prune_folders(path.parent)  # folders made before the disk said no
                raise
            try:
                with os.fdopen(fd, "wb") as target:
                    size, sha256 = copy_hashing(stream, target, max_bytes)
                    target.flush()
                    os.fsync(target.fileno())
                os.replace(temp_name, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp_name)
                self._prune_folders(path.parent)
                raise
        return StoredFile(key=key, size=size, sha256=sha256)

    @contextlib.contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        yield self._path(key)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def direct_path(self, key: str) -> Path | None:
        return self._path(key)

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._prune_folders(path.parent)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        # Half-written uploads (".upload-…") in the folder go too.
        count = sum(1 for path in folder.rglob("*") if path.is_file())
        shutil.rmtree(folder)
        self._prune_folders(folder.parent)
        return count

    def sweep(self, grace_seconds: int = UPLOAD_GRACE_SECONDS) -> SweepResult:
        if not self.root.is_dir():
            return SweepResult()
        cutoff = time.time() - grace_seconds
        partials = folders = 0
        # Removing debris touches its folder: a folder we emptied is as old as its debris.
        emptied: set[Path] = set()
        for folder, _subfolders, files in os.walk(self.root, topdown=False):
            here = Path(folder)
            for name in files:
                path = here / name
                if name.startswith(PARTIAL_PREFIX) and _older_than(path, cutoff):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        partials += 1
                        emptied.add(here)
            if here != self.root and (here in emptied or _older_than(here, cutoff)):
                with contextlib.suppress(OSError):  # not empty: something is in it
                    here.rmdir()
                    folders += 1
                    emptied.add(here.parent)
        return SweepResult(partial_uploads=partials, empty_folders=folders)


def _older_than(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


class S3Storage:
    """Files in an S3-compatible bucket (boto3 is the optional `s3` extra)."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, key: str) -> str:
        key = _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def save_stream(self, key: str, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        # Spool to a temporary file first so that the size limit and hash are known before
        # anything reaches the bucket.
        with raising_storage_full(), tempfile.TemporaryFile() as spool:
            size, sha256 = copy_hashing(stream, spool, max_bytes)
            spool.seek(0)
            self.client.upload_fileobj(spool, self.bucket, self._key(key))
        return StoredFile(key=key, size=size, sha256=sha256)

    @contextlib.contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(key).name
            self.client.download_file(self.bucket, self._key(key), str(path))
            yield path

    def open(self, key: str) -> BinaryIO:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
        self.client.download_fileobj(self.bucket, self._key(key), spool)
        spool.seek(0)
        return spool

    def direct_path(self, key: str) -> Path | None:
        return None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception:
            return False
        return True

    def delete_prefix(self, prefix: str) -> int:
        folder = self._key(prefix.rstrip("/")) + "/"
        count = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=folder):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})
                count += len(keys)
        return count

    def sweep(self, grace_seconds: int = UPLOAD_GRACE_SECONDS) -> SweepResult:
        # Objects appear whole or not at all; a killed upload leaves only an unfinished
        # multipart upload, which holds its parts (and costs) until it is aborted.
        cutoff = datetime.now(UTC) - timedelta(seconds=grace_seconds)
        prefix = f"{self.prefix}/" if self.prefix else ""
        aborted = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        return SweepResult(partial_uploads=aborted)


def storage_from_url(url: str) -> Storage:
    """Build the storage backend a URL names: file:///path or s3://bucket/prefix."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalStorage(Path(parsed.path))
    if parsed.scheme == "s3":
        return S3Storage(
            parsed.netloc, parsed.path, endpoint_url=os.environ.get("STORYBANK_S3_ENDPOINT")
        )
    raise ValueError(f"unknown media storage {parsed.scheme!r}: use file:// or s3://")
