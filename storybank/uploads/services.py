"""Resumable uploads: open one, take its chunks in order, join them for the story, expire the rest.

Each chunk is saved to storage as its own part (`uploads/<id>/<offset>`) before the offset moves,
so a dropped connection loses at most the chunk in flight, and any web process (or machine, on
S3) can take the next chunk. Only the person who opened an upload can see or add to it.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from storybank.accounts.models import User
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.core.storage import Storage
from storybank.extensions import db
from storybank.stories.policy import can_create_story
from storybank.uploads.models import ResumableUpload
from storybank.uploads.tus import ProtocolError

log = logging.getLogger(__name__)

# A PATCH may carry a little more than the client's chunk size, never more than this.
MAX_CHUNK_BYTES = 64 * 1024 * 1024


def _storage() -> Storage:
    return current_app.extensions["storybank_storage"]


def _part_key(upload_id: str, offset: int) -> str:
    return f"uploads/{upload_id}/{offset:015d}"


def _prefix(upload_id: str) -> str:
    return f"uploads/{upload_id}/"


def open_upload(actor: User, length: int) -> ResumableUpload:
    """Start an upload of `length` bytes for a reporter, within their unfinished allowance."""
    if not can_create_story(actor):
        raise NotFound()
    unfinished = db.session.scalar(
        select(func.count())
        .select_from(ResumableUpload)
        .where(ResumableUpload.owner_id == actor.id, ResumableUpload.expires_at > utcnow())
    )
    allowed = current_app.config["UPLOADS_UNFINISHED_PER_PERSON"]
    if unfinished >= allowed:
        raise InvalidInput(
            f"You already have {allowed} recordings part-sent. Finish or cancel one first.",
            status=429,
        )
    now = utcnow()
    upload = ResumableUpload(
        id=uuid.uuid4().hex,
        owner_id=actor.id,
        length=length,
        offset=0,
        parts=0,
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["UPLOAD_KEEP_HOURS"]),
    )
    db.session.add(upload)
    db.session.commit()
    return upload


def find_upload(actor: User | None, upload_id: str) -> ResumableUpload:
    """The actor's own unexpired upload; anything else does not exist for them."""
    if actor is None or len(upload_id) != 32:
        raise NotFound()
    upload = db.session.get(ResumableUpload, upload_id)
    if upload is None or upload.owner_id != actor.id or upload.expires_at <= utcnow():
        raise NotFound()
    return upload


def append_chunk(
    actor: User, upload_id: str, offset: int, stream: BinaryIO, size: int
) -> ResumableUpload:
    """Save `size` bytes at `offset`, then move the upload's offset past them.

    A chunk that arrives short (the connection dropped) is thrown away and the offset stays,
    so the client asks where to carry on. Two requests racing for one offset: one wins, the
    other is told the offset moved (409).
    """
    upload = find_upload(actor, upload_id)
    if offset != upload.offset:
        raise ProtocolError(409, f"The upload is at byte {upload.offset}, not {offset}.")
    if size == 0:
        return upload
    key = _part_key(upload.id, offset)
    stored = _storage().save_stream(key, stream, max_bytes=size)
    if stored.size != size:
        db.session.refresh(upload)
        if upload.offset == offset:  # not taken by a request that raced this one
            _storage().delete(key)
        raise ProtocolError(400, "The chunk arrived incomplete; ask where to carry on.")
    moved = db.session.execute(
        update(ResumableUpload)
        .where(ResumableUpload.id == upload.id, ResumableUpload.offset == offset)
        .values(offset=offset + size, parts=ResumableUpload.parts + 1)
    )
    db.session.commit()
    if moved.rowcount != 1:
        raise ProtocolError(409, "Another request sent these bytes first.")
    db.session.refresh(upload)
    return upload


def cancel_upload(actor: User, upload_id: str) -> None:
    """Throw an upload and its parts away (tus termination)."""
    upload = find_upload(actor, upload_id)
    _discard(upload.id)


def _discard(upload_id: str) -> None:
    # The bytes go first: if storage fails, the row stays, and the sweep tries again later.
    _storage().delete_prefix(_prefix(upload_id))
    db.session.execute(delete(ResumableUpload).where(ResumableUpload.id == upload_id))
    db.session.commit()


class _JoinedParts:
    """The parts of a finished upload read one after another as a single stream."""

    def __init__(self, storage: Storage, upload: ResumableUpload) -> None:
        self._storage = storage
        self._upload_id = upload.id
        self._length = upload.length
        self._offset = 0
        self._part: BinaryIO | None = None

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes from the parts in order; b"" at the end."""
        while self._offset < self._length:
            if self._part is None:
                key = _part_key(self._upload_id, self._offset)
                if not self._storage.exists(key):
                    raise InvalidInput(
                        "Part of the recording is missing on the server. Send it again.",
                        field="audio_file",
                    )
                self._part = self._storage.open(key)
            data = self._part.read(size if size and size > 0 else 1024 * 1024)
            if data:
                self._offset += len(data)
                return data
            self._part.close()
            self._part = None
        return b""

    def close(self) -> None:
        """Close the part being read."""
        if self._part is not None:
            self._part.close()
            self._part = None


@contextlib.contextmanager
def finished_upload(actor: User, upload_id: str) -> Iterator[BinaryIO]:
    """The whole recording of a finished upload, as one stream to read once."""
    try:
        upload = find_upload(actor, upload_id)
    except NotFound as error:
        raise InvalidInput(
            "The recording was not found on the server: it may have expired. Send it again.",
            field="audio_file",
        ) from error
    if not upload.complete:
        raise InvalidInput(
            "The recording has not finished sending. Wait for it, then submit again.",
            field="audio_file",
        )
    joined = _JoinedParts(_storage(), upload)
    try:
        yield joined  # type: ignore[misc]
    finally:
        joined.close()


def forget_upload(upload_id: str) -> None:
    """Delete an upload whose recording now belongs to a story (or was refused). A failure here
    is logged, not raised: the story is saved, and the upload expires and is swept anyway."""
    try:
        _discard(upload_id)
    except Exception as error:
        db.session.rollback()
        log.warning("could not delete a submitted upload's parts (%s)", type(error).__name__)


def delete_expired_uploads() -> int:
    """Remove uploads nobody finished or submitted in time, with their parts."""
    expired = list(
        db.session.scalars(select(ResumableUpload.id).where(ResumableUpload.expires_at <= utcnow()))
    )
    for upload_id in expired:
        forget_upload(upload_id)
    if expired:
        log.info("removed %d expired unfinished upload(s)", len(expired))
    return len(expired)
