"""Errors a service raises; views map them to HTTP answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class NotFound(Exception):
    """The thing does not exist, or the user may not know that it does (always a 404)."""


class NotAllowed(Exception):
    """The user may see the thing but may not do this to it."""


class InvalidInput(Exception):
    """The user gave input that cannot be accepted; each message says what to do."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status  # the HTTP status a form answers with (413 for too large)
        self.problems: list[tuple[str | None, str]] = [(field, message)]

    @classmethod
    def from_problems(cls, problems: list[InvalidInput]) -> InvalidInput:
        """Combine several problems into one error, so a form can show them all at once."""
        combined = cls(problems[0].message, problems[0].field, max(p.status for p in problems))
        combined.problems = [item for problem in problems for item in problem.problems]
        return combined


class ProblemCollector:
    """Run checks, keeping every InvalidInput, then raise them together."""

    def __init__(self) -> None:
        self.problems: list[InvalidInput] = []

    def check(self, check: Callable[[], T]) -> T | None:
        """Return the check's result, or None after noting its problem."""
        try:
            return check()
        except InvalidInput as problem:
            self.problems.append(problem)
            return None

    def raise_if_any(self) -> None:
        """Raise every noted problem as one InvalidInput."""
        if self.problems:
            raise InvalidInput.from_problems(self.problems)


class Conflict(Exception):
    """The action does not fit the thing's current state (for example approving twice)."""


class StorageFull(InvalidInput):
    """The server's disk (or quota) ran out while saving a file; nothing was kept.

    It is an InvalidInput so that a form shows it where the person can act on it, with the form
    again; its status (507 Insufficient Storage) says that the fault is the server's.
    """

    MESSAGE = (
        "The server has run out of space; your story was not saved. Please try again later or "
        "tell your coordinator."
    )

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message, status=507)
