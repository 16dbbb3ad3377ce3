"""Who may run events, build and print packs, record actions, and see a story's use.

Facilitators and admins do all of it. Reporters see where their own stories were used and
what came of it. Researchers see nothing of events, unless an admin shares an event's
agreed actions with them, and then only those.
"""

from __future__ import annotations

from storybank.core.authz import Actor
from storybank.core.authz import Role
from storybank.core.authz import has_role
from storybank.curate.models import Event
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus


def _runs_events(actor: Actor | None) -> bool:
    return has_role(actor, Role.FACILITATOR, Role.ADMIN)


def can_list_events(actor: Actor | None) -> bool:
    """Facilitators and admins see every event, past and upcoming."""
    return _runs_events(actor)


def can_create_event(actor: Actor | None) -> bool:
    """Facilitators and admins plan events."""
    return _runs_events(actor)


def can_see_event(actor: Actor | None, event: Event) -> bool:
    """Whether the event exists as far as this user knows (otherwise: 404)."""
    return _runs_events(actor) or can_see_shared_actions(actor, event)


def can_edit_event(actor: Actor | None, event: Event) -> bool:
    """Facilitators and admins change an event's details and record what it agreed."""
    return _runs_events(actor)


def can_build_pack(actor: Actor | None, event: Event) -> bool:
    """Facilitators and admins choose the stories, quotes, prompts and notes."""
    return _runs_events(actor)


def can_see_pack(actor: Actor | None, event: Event) -> bool:
    """A pack, its digest and its printouts are for those who run events."""
    return _runs_events(actor)


def can_record_actions(actor: Actor | None, event: Event) -> bool:
    """Facilitators and admins record the actions an event agreed and how they went."""
    return _runs_events(actor)


def can_share_actions(actor: Actor | None, event: Event) -> bool:
    """Only an admin lets researchers see an event's agreed actions."""
    return has_role(actor, Role.ADMIN)


def can_see_shared_actions(actor: Actor | None, event: Event) -> bool:
    """Researchers see an event's actions once an admin has shared them."""
    return has_role(actor, Role.RESEARCHER) and event.actions_shared


def can_list_shared_actions(actor: Actor | None) -> bool:
    """Researchers have a page of the actions shared with them."""
    return has_role(actor, Role.RESEARCHER, Role.ADMIN)


def can_see_story_use(actor: Actor | None, story: Story) -> bool:
    """A story's reporter and admins see the events that used it and what came of them."""
    if actor is None:
        return False
    if has_role(actor, Role.ADMIN):
        return True
    return has_role(actor, Role.REPORTER) and story.reporter_id == actor.id


def may_go_in_a_pack(story: Story) -> bool:
    """Approved stories whose current consent allows use at events, and nothing else."""
    consent = story.current_consent
    return (
        story.status == StoryStatus.APPROVED.value
        and consent is not None
        and consent.processing
        and consent.events
    )


def may_play_at_events(story: Story) -> bool:
    """The beeped recording plays at events only when consent allows audio there too."""
    consent = story.current_consent
    return may_go_in_a_pack(story) and consent is not None and consent.audio_at_events
