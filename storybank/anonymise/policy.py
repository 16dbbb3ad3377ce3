"""Who may review redactions, manage the identifier lists, and hear redacted audio."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role
from storybank.stories import policy as story_policy
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus


def can_review_redactions(actor: Actor | None, story: Story) -> bool:
    """Reviewers decide redactions while the story is in review."""
    return story_policy.can_review(actor, story)


def can_relabel_redaction(actor: Actor | None, story: Story) -> bool:
    """Whoever reviews the redactions may say what kind of identifier one is."""
    return can_review_redactions(actor, story)


def can_hide_audio_stretch(actor: Actor | None, story: Story) -> bool:
    """A reviewer may hide any stretch of a recording, by time or by transcript words."""
    return story.is_audio and can_review_redactions(actor, story)


def can_hide_audio_words(actor: Actor | None, story: Story) -> bool:
    """Hiding the stretch under chosen transcript words is hiding a stretch."""
    return can_hide_audio_stretch(actor, story)


def can_remove_audio_hide(actor: Actor | None, story: Story) -> bool:
    """Whoever may hide a stretch may change their mind while the story is in review."""
    return can_hide_audio_stretch(actor, story)


def can_manage_lists(actor: Actor | None) -> bool:
    """Admins keep the prison, court, place and keep lists."""
    return has_role(actor, Role.ADMIN)


def can_hear_redacted_audio(actor: Actor | None, story: Story) -> bool:
    """The redacted copy plays outside review only when consent allows audio at events.

    Its reviewer hears it in review, to check the beeps before approving: they may hear the
    original then anyway.
    """
    if can_review_redactions(actor, story):
        return True
    consent = story.current_consent
    if actor is None or consent is None or not (consent.processing and consent.audio_at_events):
        return False
    if story.status != StoryStatus.APPROVED.value:
        return False
    return has_role(actor, Role.FACILITATOR, Role.ADMIN) or (
        has_role(actor, Role.REPORTER) and story.reporter_id == actor.id
    )
