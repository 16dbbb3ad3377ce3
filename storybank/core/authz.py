"""Roles and the small helpers that services use to check them."""

from __future__ import annotations

import enum
from typing import Protocol

from storybank.core.errors import NotAllowed


class Role(enum.StrEnum):
    """What a person does in the pilot; each role sees a different part of Storybank."""

    REPORTER = "reporter"
    FACILITATOR = "facilitator"
    RESEARCHER = "researcher"
    ADMIN = "admin"


class Actor(Protocol):
    """Anything that acts: the services only need an id and a role."""

    id: int
    role: str


def has_role(actor: Actor | None, *roles: Role) -> bool:
    """Return whether the actor holds one of the roles."""
    return actor is not None and actor.role in {role.value for role in roles}


def require_role(actor: Actor | None, *roles: Role) -> None:
    """Raise NotAllowed unless the actor holds one of the roles."""
    if not has_role(actor, *roles):
        raise NotAllowed("You do not have permission to do that.")
