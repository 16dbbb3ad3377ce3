"""Short secrets sealed at rest (AES-GCM), so a copy of the database alone does not hold them.

The key is derived from the app's SECRET_KEY with HKDF and a purpose label; a backup is only
useful with the same secret key. A value that does not open (the key changed) reads as None,
so whatever depends on it fails closed.
"""

from __future__ import annotations

import base64
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

_PREFIX = "v1:"
_NONCE_BYTES = 12


def _cipher(purpose: str) -> AESGCM:
    """AES-256-GCM keyed from SECRET_KEY for one purpose."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"storybank:{purpose}".encode()
    ).derive(secret)
    return AESGCM(key)


def seal(value: str, purpose: str) -> str:
    """Encrypt and authenticate a value for storage ("v1:" and base64)."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(purpose).encrypt(nonce, value.encode(), purpose.encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(stored: str, purpose: str) -> str | None:
    """The stored value in clear; None when it does not open with this key.

    A value stored before sealing (no "v1:") is returned as it is, and sealed when next written.
    """
    if not stored.startswith(_PREFIX):
        return stored
    try:
        raw = base64.urlsafe_b64decode(stored.removeprefix(_PREFIX).encode("ascii"))
        opened = _cipher(purpose).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], purpose.encode())
    except (InvalidTag, ValueError):
        log.warning("a sealed %s did not open: was SECRET_KEY changed?", purpose)
        return None
    return opened.decode()


class SealedString(TypeDecorator[str]):
    """A string column whose values are sealed on the way in and opened on the way out."""

    impl = String(255)
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else seal(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else unseal(value, self.purpose)
