"""Who may export, and who may see which exports held a story."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role
from storybank.search.policy import can_search


def can_export(actor: Actor | None) -> bool:
    """Whoever may search may export what the search finds: researchers and admins."""
    return can_search(actor)


def can_see_holdings(actor: Actor | None) -> bool:
    """Admins alone see who received a story, so that they can tell them when it is withdrawn."""
    return has_role(actor, Role.ADMIN)
