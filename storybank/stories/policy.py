"""Who may see and do what to a story. Every rule lives here and is tested as a matrix."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus

_REVIEWABLE = {StoryStatus.IN_REVIEW.value}


def _is_own(actor: Actor, story: Story) -> bool:
    return has_role(actor, Role.REPORTER) and story.reporter_id == actor.id


def _consent_allows(story: Story, use: str) -> bool:
    consent = story.current_consent
    return bool(consent and consent.processing and getattr(consent, use))


def can_create_story(actor: Actor | None) -> bool:
    """Reporters gather stories."""
    return has_role(actor, Role.REPORTER)


def can_see_story(actor: Actor | None, story: Story) -> bool:
    """Whether the story exists as far as this user knows (otherwise: 404)."""
    if actor is None:
        return False
    if has_role(actor, Role.ADMIN) or _is_own(actor, story):
        return True
    if has_role(actor, Role.FACILITATOR):
        if story.status in _REVIEWABLE:
            return True
        return story.status == StoryStatus.APPROVED.value and _consent_allows(story, "events")
    if has_role(actor, Role.RESEARCHER):
        return story.status == StoryStatus.APPROVED.value and _consent_allows(story, "research")
    return False


def can_see_original(actor: Actor | None, story: Story) -> bool:
    """Originals reach only the reporter, reviewers during review, and admins."""
    if actor is None:
        return False
    if has_role(actor, Role.ADMIN) or _is_own(actor, story):
        return True
    return has_role(actor, Role.FACILITATOR) and story.status in _REVIEWABLE


def can_see_title(actor: Actor | None, story: Story) -> bool:
    """Titles and pseudonyms are as typed, never anonymised: they go only where originals go."""
    return can_see_original(actor, story)


def can_review(actor: Actor | None, story: Story) -> bool:
    """Facilitators and admins review stories that are waiting for review."""
    return has_role(actor, Role.FACILITATOR, Role.ADMIN) and story.status in _REVIEWABLE


def can_see_progress(actor: Actor | None, story: Story) -> bool:
    """The pipeline's stages mean something to the reporter, reviewers and admins only."""
    if actor is None:
        return False
    return has_role(actor, Role.ADMIN) or _is_own(actor, story) or can_review(actor, story)


def can_retry(actor: Actor | None, story: Story) -> bool:
    """The reporter and admins may retry a failed stage."""
    if story.status != StoryStatus.FAILED.value or actor is None:
        return False
    return has_role(actor, Role.ADMIN) or _is_own(actor, story)


def can_resubmit(actor: Actor | None, story: Story) -> bool:
    """The reporter corrects and resubmits a story that review sent back."""
    return actor is not None and _is_own(actor, story) and story.status == StoryStatus.RETURNED


def can_list_review_queue(actor: Actor | None) -> bool:
    """Facilitators and admins see the review queue."""
    return has_role(actor, Role.FACILITATOR, Role.ADMIN)


def can_list_approved(actor: Actor | None) -> bool:
    """Facilitators, researchers and admins browse approved stories."""
    return has_role(actor, Role.FACILITATOR, Role.RESEARCHER, Role.ADMIN)


def can_correct_text(actor: Actor | None, story: Story) -> bool:
    """The reporter corrects their story in review or when sent back; reviewers in review."""
    if actor is None:
        return False
    if story.status == StoryStatus.IN_REVIEW.value:
        return _is_own(actor, story) or has_role(actor, Role.FACILITATOR, Role.ADMIN)
    return story.status == StoryStatus.RETURNED.value and _is_own(actor, story)


def can_list_all_stories(actor: Actor | None) -> bool:
    """Admins see a list of every story, whatever its status or consent."""
    return has_role(actor, Role.ADMIN)
