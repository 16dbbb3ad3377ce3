"""Who may change or withdraw a story's consent, and who may erase a story."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role
from storybank.stories.models import Story


def _reporter_or_admin(actor: Actor | None, story: Story) -> bool:
    if has_role(actor, Role.ADMIN):
        return True
    return has_role(actor, Role.REPORTER) and actor is not None and story.reporter_id == actor.id


def can_change_consent(actor: Actor | None, story: Story) -> bool:
    """The story's reporter (for the storyteller) and admins narrow consent."""
    return _reporter_or_admin(actor, story)


def can_withdraw_consent(actor: Actor | None, story: Story) -> bool:
    """The story's reporter (for the storyteller) and admins withdraw consent."""
    return _reporter_or_admin(actor, story)


def can_erase_story(actor: Actor | None) -> bool:
    """Admins erase stories (a reporter does it by withdrawing consent)."""
    return has_role(actor, Role.ADMIN)
