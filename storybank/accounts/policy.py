"""Who may manage accounts."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import require_role


def check_manage_users(actor: Actor | None) -> None:
    """Only admins manage users and roles."""
    require_role(actor, Role.ADMIN)
