"""Who may decide themes, and who keeps the codebook."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus


def can_decide_themes(actor: Actor | None, story: Story) -> bool:
    """Reviewers decide themes in review, and facilitators may correct them after approval."""
    return has_role(actor, Role.FACILITATOR, Role.ADMIN) and story.status in {
        StoryStatus.IN_REVIEW.value,
        StoryStatus.APPROVED.value,
    }


def can_manage_codebook(actor: Actor | None) -> bool:
    """Admins edit the codebook."""
    return has_role(actor, Role.ADMIN)


def can_export_codebook(actor: Actor | None) -> bool:
    """Everyone who works with themes may take the codebook into their analysis tools."""
    return has_role(actor, Role.FACILITATOR, Role.RESEARCHER, Role.ADMIN)


def can_see_agreement(actor: Actor | None) -> bool:
    """Admins see how far the tagger and the reviewers agree."""
    return has_role(actor, Role.ADMIN)


def can_train_tagger(actor: Actor | None) -> bool:
    """Admins retrain the tagger from reviewers' decisions."""
    return has_role(actor, Role.ADMIN)
