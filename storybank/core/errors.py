"""Errors a service raises; views map them to HTTP answers."""

from __future__ import annotations


class NotFound(Exception):
    """The thing does not exist, or the user may not know that it does (always a 404)."""


class NotAllowed(Exception):
    """The user may see the thing but may not do this to it."""


class InvalidInput(Exception):
    """The user gave input that cannot be accepted; the message says what to do."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(Exception):
    """The action does not fit the thing's current state (for example approving twice)."""
