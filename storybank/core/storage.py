"""Where files live: a small interface, local folders by default, S3-compatible when scaled out."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from typing import Protocol
from urllib.parse import urlparse

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A file that is safely in storage."""

    key: str
    size: int
    sha256: str


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
    """Files under a folder on this machine; writes are atomic (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def save_stream(self, key: str, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as target:
                size, sha256 = copy_hashing(stream, target, max_bytes)
                target.flush()
                os.fsync(target.fileno())
            os.replace(temp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
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
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        # Half-written uploads (".upload-…") in the folder go too.
        count = sum(1 for path in folder.rglob("*") if path.is_file())
        shutil.rmtree(folder)
        return count


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
        with tempfile.TemporaryFile() as spool:
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
