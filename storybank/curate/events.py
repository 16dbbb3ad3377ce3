"""Events: plan them, list past and upcoming, record what was said, share agreed actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storybank.accounts.models import User
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.authz import Role
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.errors import ProblemCollector
from storybank.curate import policy
from storybank.curate.models import Event
from storybank.curate.models import Pack
from storybank.extensions import db
from storybank.tag.services import current_codebook

NOTES_LIMIT = 20_000


@dataclass(frozen=True)
class EventDetails:
    """What a facilitator says about an event."""

    title: str
    held_on: date | None
    place: str
    facilitator_id: int | None
    audience: str = ""
    notes: str = ""


@dataclass(frozen=True)
class EventList:
    """Events still to come (soonest first) and those held (latest first)."""

    upcoming: list[Event]
    past: list[Event]


def get_event(actor: User, event_id: int) -> Event:
    """Return an event this user may know of; anything else is NotFound."""
    event = db.session.get(Event, event_id)
    if event is None or not policy.can_see_event(actor, event):
        raise NotFound
    return event


def event_for(actor: User, event_id: int, allowed: bool | None = None) -> Event:
    """Return the event, or NotAllowed when `allowed` (a policy answer) is False."""
    event = get_event(actor, event_id)
    if allowed is False:
        raise NotAllowed("Only facilitators and admins can do this.")
    return event


def list_event_facilitators(actor: User) -> list[User]:
    """Return the active users who can run an event, for the form's choice."""
    if not policy.can_create_event(actor):
        raise NotAllowed("Only facilitators and admins plan events.")
    query = (
        select(User)
        .where(User.is_active.is_(True), User.role.in_([Role.FACILITATOR, Role.ADMIN]))
        .order_by(User.display_name)
    )
    return list(db.session.scalars(query))


def checked_text(value: str, field: str, what: str, limit: int, required: bool = True) -> str:
    """Return the text trimmed, or InvalidInput if it is missing or too long."""
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"Enter {what}.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"Shorten {what} to {limit} characters or fewer.", field=field)
    return value


def _facilitator(user_id: int | None) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.is_active or user.role not in {Role.FACILITATOR, Role.ADMIN}:
        raise InvalidInput("Choose who will facilitate the event.", field="facilitator_id")
    return user


def _checked(details: EventDetails) -> dict[str, object]:
    problems = ProblemCollector()
    values = {
        "title": problems.check(lambda: checked_text(details.title, "title", "a title", 200)),
        "place": problems.check(
            lambda: checked_text(details.place, "place", "where it is held", 200)
        ),
        "audience": problems.check(
            lambda: checked_text(details.audience, "audience", "the audience", 2000, required=False)
        ),
        "notes": problems.check(
            lambda: checked_text(details.notes, "notes", "the notes", NOTES_LIMIT, required=False)
        ),
        "facilitator": problems.check(lambda: _facilitator(details.facilitator_id)),
    }
    if details.held_on is None:
        problems.problems.append(InvalidInput("Enter the date of the event.", field="held_on"))
    problems.raise_if_any()
    return values


def create_event(actor: User, details: EventDetails) -> Event:
    """Plan an event; it gets an empty pack on the current codebook's themes."""
    if not policy.can_create_event(actor):
        raise NotAllowed("Only facilitators and admins plan events.")
    values = _checked(details)
    themes = [theme.key for theme in current_codebook().themes if not theme.retired]
    event = Event(
        title=values["title"],
        held_on=details.held_on,
        place=values["place"],
        audience=values["audience"],
        notes=values["notes"],
        facilitator=values["facilitator"],
        created_by_id=actor.id,
    )
    event.pack = Pack(theme_keys=themes, prompts={})
    db.session.add(event)
    db.session.flush()
    record_event(
        AuditAction.EVENT_CREATED, actor_id=actor.id, target_type="event", target_id=event.id
    )
    db.session.commit()
    return event


def update_event(actor: User, event_id: int, details: EventDetails) -> Event:
    """Change an event's details."""
    event = get_event(actor, event_id)
    if not policy.can_edit_event(actor, event):
        raise NotAllowed("Only facilitators and admins change events.")
    values = _checked(details)
    event.title, event.place = values["title"], values["place"]  # type: ignore[assignment]
    event.audience, event.notes = values["audience"], values["notes"]  # type: ignore[assignment]
    event.held_on = details.held_on  # type: ignore[assignment]
    event.facilitator = values["facilitator"]  # type: ignore[assignment]
    record_event(
        AuditAction.EVENT_UPDATED, actor_id=actor.id, target_type="event", target_id=event.id
    )
    db.session.commit()
    return event


def list_events(actor: User, today: date | None = None) -> EventList:
    """Return every event, split into upcoming and past."""
    if not policy.can_list_events(actor):
        raise NotAllowed("Only facilitators and admins see events.")
    today = today or date.today()
    # The list shows each event's facilitator, pack size, changes and actions: load them with
    # the events (a query each), not a few queries per event.
    query = (
        select(Event)
        .order_by(Event.held_on, Event.id)
        .options(
            selectinload(Event.facilitator),
            selectinload(Event.actions),
            selectinload(Event.pack).selectinload(Pack.entries),
            selectinload(Event.pack).selectinload(Pack.changes),
        )
    )
    events = list(db.session.scalars(query))
    upcoming = [event for event in events if event.held_on >= today]
    past = [event for event in reversed(events) if event.held_on < today]
    return EventList(upcoming, past)


def record_discussion(actor: User, event_id: int, notes: str) -> Event:
    """Keep the facilitator's notes of what was said at the event."""
    event = get_event(actor, event_id)
    if not policy.can_record_actions(actor, event):
        raise NotAllowed("Only facilitators and admins record what an event said.")
    event.discussion_notes = checked_text(
        notes, "discussion_notes", "the notes", NOTES_LIMIT, False
    )
    record_event(
        AuditAction.EVENT_UPDATED,
        actor_id=actor.id,
        target_type="event",
        target_id=event.id,
        what="discussion",
    )
    db.session.commit()
    return event


def share_actions(actor: User, event_id: int, shared: bool) -> Event:
    """Let researchers see (or stop them seeing) this event's agreed actions."""
    event = get_event(actor, event_id)
    if not policy.can_share_actions(actor, event):
        raise NotAllowed("Only an admin shares an event's actions with researchers.")
    event.actions_shared = shared
    record_event(
        AuditAction.ACTIONS_SHARED,
        actor_id=actor.id,
        target_type="event",
        target_id=event.id,
        status="shared" if shared else "not_shared",
    )
    db.session.commit()
    return event
