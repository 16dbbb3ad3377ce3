"""Who may manage accounts."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import require_role


def check_manage_users(actor: Actor | None) -> None:
    """Only admins manage users and roles."""
    require_role(actor, Role.ADMIN)


# Facilitators, researchers and admins see stories beyond their own, so they must sign in with
# a second factor; reporters may choose to.
ROLES_REQUIRING_TWO_FACTOR = frozenset(
    {Role.FACILITATOR.value, Role.RESEARCHER.value, Role.ADMIN.value}
)
