"""Admin screens: each checks that the acting user is an admin, then asks the owning stage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.core import audit
from storybank.core.authz import Role
from storybank.core.authz import require_role
from storybank.extensions import db
from storybank.stories import services as stories
from storybank.stories.models import Site
from storybank.stories.models import StoryStatus
from storybank.stories.queries import CONSENT_FILTERS
from storybank.stories.queries import StoryFilters
from storybank.stories.queries import StoryPage


@dataclass(frozen=True)
class AllStories:
    """The admin's list of every story, and the choices its filters offer."""

    page: StoryPage
    filters: StoryFilters
    statuses: list[str]
    sites: list[Site]
    reporters: list[User]
    consents: dict[str, str]


def list_all_stories(actor: User, filters: StoryFilters, page: int = 1) -> AllStories:
    """Return one page of every story with the filters' choices (admins only)."""
    found = stories.list_all_stories(actor, filters, page)
    reporters = db.session.scalars(
        select(User).where(User.role == Role.REPORTER.value).order_by(User.display_name)
    )
    return AllStories(
        page=found,
        filters=filters,
        statuses=[status.value for status in StoryStatus],
        sites=stories.list_sites(include_retired=True),
        reporters=list(reporters),
        consents=CONSENT_FILTERS,
    )


def list_all_sites(actor: User) -> list[Site]:
    """Return every site, retired ones too (admins only)."""
    require_role(actor, Role.ADMIN)
    return stories.list_sites(include_retired=True)


@dataclass(frozen=True)
class AuditPage:
    """The newest audit events, and the names of the people they name."""

    events: list[audit.AuditEvent]
    user_names: dict[int, str]


def list_audit_events(actor: User, action: str | None = None) -> AuditPage:
    """Return the newest audit events, optionally of one action (admins only)."""
    require_role(actor, Role.ADMIN)
    events = audit.list_events(limit=500, action=action or None)
    ids = {event.actor_id for event in events if event.actor_id is not None} | {
        event.target_id for event in events if event.target_type == "user" and event.target_id
    }
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return AuditPage(events=events, user_names={user_id: name for user_id, name in rows})
