""" "You said, we did": the actions an event agreed, and where a reporter's stories were used."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.errors import ProblemCollector
from storybank.curate import policy
from storybank.curate.events import checked_text as _text
from storybank.curate.events import get_event
from storybank.curate.models import ActionStatus
from storybank.curate.models import Event
from storybank.curate.models import EventAction
from storybank.curate.models import PackStory
from storybank.curate.models import action_stories
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.stories.queries import get_story
from storybank.tag.services import current_codebook


@dataclass(frozen=True)
class ActionDetails:
    """What a facilitator records about an agreed action."""

    you_said: str
    we_will: str
    owner: str
    due_on: date | None
    status: str = ActionStatus.AGREED.value
    we_did: str = ""
    theme_keys: list[str] = field(default_factory=list)
    story_ids: list[int] = field(default_factory=list)


def _linked_stories(event: Event, story_ids: list[int]) -> list[Story]:
    """Stories an action may be linked to: those in the event's pack."""
    in_pack = {entry.story_id for entry in event.pack.entries}
    unknown = set(story_ids) - in_pack
    if unknown:
        raise InvalidInput("Link the action only to stories in this event's pack.", field="stories")
    return [story for story_id in story_ids if (story := db.session.get(Story, story_id))]


def _apply(action: EventAction, event: Event, details: ActionDetails) -> None:
    problems = ProblemCollector()
    you_said = problems.check(
        lambda: _text(details.you_said, "you_said", "what was said", 4000, True)
    )
    we_will = problems.check(
        lambda: _text(details.we_will, "we_will", "what will be done", 4000, True)
    )
    owner = problems.check(lambda: _text(details.owner, "owner", "who owns it", 120, True))
    we_did = problems.check(lambda: _text(details.we_did, "we_did", "what was done", 4000, False))
    stories = problems.check(lambda: _linked_stories(event, details.story_ids))
    if details.status not in {s.value for s in ActionStatus}:
        problems.problems.append(InvalidInput("Choose the action's status.", field="status"))
    known = {t.key for t in current_codebook().themes}
    if set(details.theme_keys) - known:
        problems.problems.append(InvalidInput("Choose themes from the codebook.", field="themes"))
    problems.raise_if_any()
    action.you_said, action.we_will, action.owner = you_said, we_will, owner  # type: ignore[assignment]
    action.we_did, action.status, action.due_on = we_did, details.status, details.due_on  # type: ignore[assignment]
    action.theme_keys = [key for key in details.theme_keys if key in known]
    action.stories = stories or []


def add_action(actor: User, event_id: int, details: ActionDetails) -> EventAction:
    """Record an action the event agreed."""
    event = get_event(actor, event_id)
    if not policy.can_record_actions(actor, event):
        raise NotAllowed("Only facilitators and admins record an event's actions.")
    action = EventAction(created_by_id=actor.id)
    _apply(action, event, details)
    event.actions.append(action)
    db.session.flush()
    record_event(
        AuditAction.ACTION_RECORDED, actor_id=actor.id, target_type="action", target_id=action.id
    )
    db.session.commit()
    return action


def get_action(actor: User, event_id: int, action_id: int) -> EventAction:
    """Return one of the event's actions, for someone who may record them."""
    event = get_event(actor, event_id)
    action = db.session.get(EventAction, action_id)
    if action is None or action.event_id != event.id:
        raise NotFound
    if not policy.can_record_actions(actor, event):
        raise NotAllowed("Only facilitators and admins change an event's actions.")
    return action


def update_action(
    actor: User, event_id: int, action_id: int, details: ActionDetails
) -> EventAction:
    """Change an action: its owner, due date, status, and what was done."""
    action = get_action(actor, event_id, action_id)
    _apply(action, action.event, details)
    record_event(
        AuditAction.ACTION_UPDATED,
        actor_id=actor.id,
        target_type="action",
        target_id=action.id,
        status=action.status,
    )
    db.session.commit()
    return action


@dataclass(frozen=True)
class StoryUse:
    """Where one story was used, and what the events that used it agreed because of it."""

    events: list[Event]
    actions: list[EventAction]

    @property
    def planned(self) -> list[Event]:
        """Events still to come whose packs hold the story."""
        today = date.today()
        return [event for event in self.events if event.held_on >= today]

    @property
    def used(self) -> list[Event]:
        """Events already held with the story in their packs."""
        today = date.today()
        return [event for event in self.events if event.held_on < today]


def story_use(actor: User, story_id: int) -> StoryUse | None:
    """Return the events whose packs hold the story and the actions it prompted, or None."""
    story = get_story(actor, story_id)
    if not policy.can_see_story_use(actor, story):
        return None
    events = list(
        db.session.scalars(
            select(Event)
            .join(Event.pack)
            .join(PackStory)
            .where(PackStory.story_id == story.id)
            .order_by(Event.held_on.desc())
        )
    )
    actions = list(
        db.session.scalars(
            select(EventAction)
            .join(action_stories)
            .where(action_stories.c.story_id == story.id)
            .order_by(EventAction.id)
        )
    )
    return StoryUse(events, actions)


def list_shared_actions(actor: User) -> list[Event]:
    """Return the events whose actions an admin shared with researchers, latest first."""
    if not policy.can_list_shared_actions(actor):
        raise NotAllowed("This page is for researchers.")
    query = select(Event).where(Event.actions_shared.is_(True)).order_by(Event.held_on.desc())
    return list(db.session.scalars(query))
