"""Row ids in URLs and forms: a number the database cannot hold is not found, never an overflow;
a story is named by an opaque public id, never by its row id."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from flask import current_app
from werkzeug.routing import BaseConverter
from werkzeug.routing import IntegerConverter
from werkzeug.routing import Map
from werkzeug.routing import ValidationError

# Ids are SQLAlchemy Integer columns: 32-bit on PostgreSQL, the range both databases share.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`int` in every route: at most MAX_ROW_ID, so a huge id is a 404 rather than an overflow."""

    def __init__(self, map: Map, *args: Any, max: int | None = None, **kwargs: Any) -> None:
        limit = MAX_ROW_ID if max is None else min(max, MAX_ROW_ID)
        super().__init__(map, *args, max=limit, **kwargs)


def row_id(value: object) -> int | None:
    """Coerce a form's chosen id: an id the database cannot hold is None, as if none was chosen.

    A value that is not a number raises ValueError, which WTForms reports on the field.
    """
    number = int(value)  # type: ignore[call-overload]
    return number if 0 < number <= MAX_ROW_ID else None


# Public story ids. A story's row id, zero-extended to 64 bits, goes through a keyed Feistel
# permutation (HMAC-SHA256 rounds) and is written as 13 characters of lowercase base32. It is
# a bijection, so nothing is stored and every id has exactly one public id; a valid public id
# decodes to a number no bigger than MAX_ROW_ID, so a guessed one works with odds of 2^-33.
PUBLIC_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
PUBLIC_ID_LENGTH = 13  # 65 bits; the first character carries only 4, so it is a to p
PUBLIC_ID_PATTERN = "[a-p][a-z2-7]{12}"
_ROUNDS = 8
_HALF = 0xFFFFFFFF
_PURPOSE = b"storybank public story id v1"


@lru_cache(maxsize=8)
def public_id_key(secret: str | bytes) -> bytes:
    """The permutation's key: derived from the app's secret for this one purpose only."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, _PURPOSE, hashlib.sha256).digest()


def _round(key: bytes, number: int, half: int) -> int:
    digest = hmac.digest(key, bytes([number]) + half.to_bytes(4, "big"), "sha256")
    return int.from_bytes(digest[:4], "big")


def _permute(key: bytes, block: int) -> int:
    left, right = block >> 32, block & _HALF
    for number in range(_ROUNDS):
        left, right = right, left ^ _round(key, number, right)
    return (left << 32) | right


def _unpermute(key: bytes, block: int) -> int:
    left, right = block >> 32, block & _HALF
    for number in reversed(range(_ROUNDS)):
        left, right = right ^ _round(key, number, left), left
    return (left << 32) | right


@lru_cache(maxsize=4096)  # a page links the same stories many times
def encode_public_id(row: int, key: bytes) -> str:
    """A row id (0 to MAX_ROW_ID) as its public id under `key`."""
    if not 0 <= row <= MAX_ROW_ID:
        raise ValueError("not a row id")
    block = _permute(key, row)
    chars = []
    for _ in range(PUBLIC_ID_LENGTH):
        chars.append(PUBLIC_ID_ALPHABET[block & 31])
        block >>= 5
    return "".join(reversed(chars))


def decode_public_id(text: str, key: bytes) -> int | None:
    """The row id a public id names, or None if `text` is not one that `key` made."""
    if len(text) != PUBLIC_ID_LENGTH:
        return None
    block = 0
    for char in text:
        digit = PUBLIC_ID_ALPHABET.find(char)
        if digit < 0:
            return None
        block = (block << 5) | digit
    if block >> 64:  # the spare top bit: one spelling per id
        return None
    row = _unpermute(key, block)
    return row if row <= MAX_ROW_ID else None


def public_story_id(story_id: int) -> str:
    """The story's public id in this app: what URLs, the API and labels show."""
    return encode_public_id(story_id, public_id_key(current_app.config["SECRET_KEY"]))


def story_label(story_id: int) -> str:
    """How a story is called where its title may not show: "Story <public id>", never its row id."""
    return f"Story {public_story_id(story_id)}"


def story_id_from_public(text: str) -> int | None:
    """The story's row id for a public id from a URL, or None (a 404)."""
    return decode_public_id(text, public_id_key(current_app.config["SECRET_KEY"]))


def story_row_id(value: object) -> int:
    """Coerce a form's chosen story (its public id) to its row id.

    A value that is not a public id raises ValueError, which WTForms reports on the field.
    """
    story_id = story_id_from_public(str(value))
    if story_id is None:
        raise ValueError("not a story")
    return story_id


class StoryIdConverter(BaseConverter):
    """`story` in routes: the URL holds the public id, the view gets the row id."""

    regex = PUBLIC_ID_PATTERN

    def to_python(self, value: str) -> int:
        story_id = story_id_from_public(value)
        if story_id is None:
            raise ValidationError
        return story_id

    def to_url(self, value: Any) -> str:
        return public_story_id(int(value))
