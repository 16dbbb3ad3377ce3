"""The parts of the tus 1.0.0 resumable-upload protocol this server speaks, as plain functions.

Core (HEAD, PATCH, OPTIONS) plus the creation, termination and expiration extensions:
https://tus.io/protocols/resumable-upload. No Flask here: the view passes headers in and
gets headers back, so the rules are tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
CHUNK_CONTENT_TYPE = "application/offset+octet-stream"
_DIGITS = re.compile(r"[0-9]{1,15}")


class ProtocolError(Exception):
    """A request that breaks the protocol; `status` is the HTTP answer tus gives for it."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def check_version(headers: Mapping[str, str]) -> None:
    """Every request but OPTIONS names the protocol version; only 1.0.0 is spoken."""
    if headers.get("Tus-Resumable") != VERSION:
        raise ProtocolError(
            412, f"This server speaks tus {VERSION} only.", {"Tus-Version": VERSION}
        )


def _whole_number(raw: str | None, name: str) -> int:
    if raw is None or not _DIGITS.fullmatch(raw.strip()):
        raise ProtocolError(400, f"{name} must be a whole number of bytes.")
    return int(raw.strip())


def upload_length(headers: Mapping[str, str], max_bytes: int) -> int:
    """The length a new upload declares, between 1 byte and the largest recording allowed."""
    if headers.get("Upload-Defer-Length"):
        raise ProtocolError(400, "Give the upload's length when it starts.")
    length = _whole_number(headers.get("Upload-Length"), "Upload-Length")
    if length == 0:
        raise ProtocolError(400, "The file is empty (0 bytes).")
    if length > max_bytes:
        raise ProtocolError(413, f"The recording is larger than the {max_bytes // 2**20} MB limit.")
    return length


def chunk_offset(headers: Mapping[str, str]) -> int:
    """Where a PATCH's bytes start; the body must be raw bytes and say how long it is."""
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != CHUNK_CONTENT_TYPE:
        raise ProtocolError(415, f"Send chunks as {CHUNK_CONTENT_TYPE}.")
    return _whole_number(headers.get("Upload-Offset"), "Upload-Offset")


def chunk_length(content_length: int | None, remaining: int, max_chunk: int) -> int:
    """The number of bytes a PATCH carries: declared, no more than is left, nor than a chunk."""
    if content_length is None:
        raise ProtocolError(411, "Say how long the chunk is (Content-Length).")
    if content_length > remaining:
        raise ProtocolError(413, "The chunk runs past the upload's declared length.")
    if content_length > max_chunk:
        raise ProtocolError(413, f"Send chunks of at most {max_chunk} bytes.")
    return content_length


def offset_headers(offset: int, length: int, expires_at: datetime) -> dict[str, str]:
    """What HEAD and PATCH answer: how much has arrived, and until when it is kept."""
    return {
        "Tus-Resumable": VERSION,
        "Upload-Offset": str(offset),
        "Upload-Length": str(length),
        "Upload-Expires": format_datetime(expires_at, usegmt=True),
        "Cache-Control": "no-store",
    }


def options_headers(max_bytes: int) -> dict[str, str]:
    """What the server supports, for a client that asks."""
    return {
        "Tus-Resumable": VERSION,
        "Tus-Version": VERSION,
        "Tus-Extension": EXTENSIONS,
        "Tus-Max-Size": str(max_bytes),
    }
