"""Who may show the storyteller the anonymised story, record their answer, and read it."""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role
from storybank.stories import policy as story_policy
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus


def _own_story_in_review(actor: Actor | None, story: Story) -> bool:
    return (
        has_role(actor, Role.REPORTER)
        and actor is not None
        and story.reporter_id == actor.id
        and story.status == StoryStatus.IN_REVIEW.value
    )


def can_show_storyteller_check(actor: Actor | None, story: Story) -> bool:
    """The story's reporter, who is with the storyteller, shows them what others will read."""
    return _own_story_in_review(actor, story)


def can_record_storyteller_agreement(actor: Actor | None, story: Story) -> bool:
    """The reporter records, for the storyteller, that they have seen it and agree."""
    return _own_story_in_review(actor, story)


def can_ask_storyteller_changes(actor: Actor | None, story: Story) -> bool:
    """The reporter sends it back to review with what the storyteller wants changed."""
    return _own_story_in_review(actor, story)


def can_hear_storyteller_check_audio(actor: Actor | None, story: Story) -> bool:
    """The reporter plays the beeped copy to the storyteller while the story is in review."""
    return story.is_audio and _own_story_in_review(actor, story)


def can_see_storyteller_answer(actor: Actor | None, story: Story) -> bool:
    """The story's reporter and its reviewers read the storyteller's answer and note."""
    own = has_role(actor, Role.REPORTER) and actor is not None and story.reporter_id == actor.id
    return own or story_policy.can_review(actor, story)
