"""Plain story queries that every stage may import: they check who may see, and change nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select

from storybank.accounts.models import User
from storybank.core.errors import NotFound
from storybank.extensions import db
from storybank.stories import policy
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Story


def get_story(actor: User | None, story_id: int) -> Story:
    """Return a story the user may see; any other answers NotFound, never a hint."""
    story = db.session.get(Story, story_id)
    if story is None or not policy.can_see_story(actor, story):
        raise NotFound
    return story


CONSENT_FILTERS = {
    "events": "Consent for events",
    "research": "Consent for research",
    "no_events": "No consent for events",
    "no_research": "No consent for research",
    "withdrawn": "Consent withdrawn",
}


@dataclass(frozen=True)
class StoryFilters:
    """What an admin narrows the list of all stories by; empty means any."""

    status: str = ""
    site_id: int | None = None
    reporter_id: int | None = None
    consent: str = ""


@dataclass(frozen=True)
class StoryPage:
    """One page of stories, and where it sits among them."""

    stories: list[Story]
    page: int
    pages: int
    total: int


def _latest_consents() -> object:
    newest = (
        select(ConsentRecord.story_id, func.max(ConsentRecord.id).label("id"))
        .group_by(ConsentRecord.story_id)
        .subquery()
    )
    return select(ConsentRecord).join(newest, ConsentRecord.id == newest.c.id).subquery()


def query_stories(filters: StoryFilters, page: int, per_page: int) -> StoryPage:
    """Return one page of every story, newest first, narrowed by the filters (no policy here)."""
    query = select(Story)
    if filters.status:
        query = query.where(Story.status == filters.status)
    if filters.site_id:
        query = query.where(Story.site_id == filters.site_id)
    if filters.reporter_id:
        query = query.where(Story.reporter_id == filters.reporter_id)
    if filters.consent in CONSENT_FILTERS:
        consent = _latest_consents()
        query = query.join(consent, consent.c.story_id == Story.id)
        query = query.where(
            {
                "events": consent.c.processing & consent.c.events,
                "research": consent.c.processing & consent.c.research,
                "no_events": ~(consent.c.processing & consent.c.events),
                "no_research": ~(consent.c.processing & consent.c.research),
                "withdrawn": ~consent.c.processing,
            }[filters.consent]
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    stories = db.session.scalars(
        query.order_by(Story.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return StoryPage(list(stories), page, pages, total)
