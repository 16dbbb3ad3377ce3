"""Who may hold API tokens and call the research API: researchers, and admins."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role


def can_use_api(actor: Actor | None) -> bool:
    """Researchers and admins create tokens and read the research API, with their own tokens."""
    return has_role(actor, Role.RESEARCHER, Role.ADMIN)
