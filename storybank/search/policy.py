"""Who may search, chart and export: researchers, and admins."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role


def can_search(actor: Actor | None) -> bool:
    """Researchers and admins search the stories whose consent allows research."""
    return has_role(actor, Role.RESEARCHER, Role.ADMIN)
