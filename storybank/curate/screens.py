"""What each events page shows, gathered by one service call per page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.anonymise.services import released_text
from storybank.core.db import utcnow
from storybank.core.ids import story_label
from storybank.curate import policy
from storybank.curate.builder import CandidatePage
from storybank.curate.builder import PackFilters
from storybank.curate.builder import entry_of
from storybank.curate.builder import list_pack_candidates
from storybank.curate.builder import pack_of
from storybank.curate.builder import usable_story
from storybank.curate.events import get_event
from storybank.curate.models import Event
from storybank.curate.models import PackChange
from storybank.curate.models import PackQuote
from storybank.curate.models import PackRender
from storybank.curate.models import PackStory
from storybank.curate.models import PackSuggestion
from storybank.curate.outputs import load_pack_stories
from storybank.curate.outputs import used_stories
from storybank.curate.quotes import current_quotes
from storybank.curate.suggest import latest_suggestion
from storybank.extensions import db
from storybank.stories.models import Site
from storybank.stories.models import Story
from storybank.tag.services import current_codebook


@dataclass(frozen=True)
class QuoteView:
    """A quote as it reads now, and whether the facilitator should look at it again."""

    quote: PackQuote
    text: str | None  # None: its words are gone from the story


@dataclass(frozen=True)
class EntryView:
    """A story in the pack, as the builder shows it."""

    entry: PackStory
    story: Story
    ref: str | None  # "Story 3" in the outputs; None if it can no longer be used
    quotes: list[QuoteView]


@dataclass(frozen=True)
class PackScreen:
    """The pack builder: the pack, the stories to choose from, a suggestion, what changed."""

    event: Event
    entries: list[EntryView]
    candidates: CandidatePage
    filters: PackFilters
    theme_names: dict[str, str]
    sites: list[Site]
    suggestion: PackSuggestion | None
    changes: list[PackChange]
    words: int


def show_pack_builder(
    actor: User, event_id: int, filters: PackFilters, page: int = 1
) -> PackScreen:
    """Gather the pack builder's page; quotes are derived afresh and flagged if changed."""
    event, pack = pack_of(actor, event_id)
    # Kept while the page is gathered: the session holds loaded stories only while they are
    # referenced, and the quotes and entries below read the same stories again.
    used = used_stories(pack)
    refs = {item.entry.id: item.ref for item in used}
    shown = current_quotes(pack)
    entries = [
        EntryView(
            entry,
            db.session.get(Story, entry.story_id),  # type: ignore[arg-type]
            refs.get(entry.id),
            [QuoteView(quote, shown.get(quote.id)) for quote in entry.quotes],
        )
        for entry in pack.entries
    ]
    # Before the commit, which expires every loaded story (each would be read again).
    words = sum((view.story.word_count or 0) for view in entries if view.ref)
    db.session.commit()  # keep the quotes' changed/lost marks
    load_pack_stories(pack)  # the commit expired them: read them again at once, not one by one
    codebook = current_codebook()
    return PackScreen(
        event=event,
        entries=entries,
        candidates=list_pack_candidates(actor, event_id, filters, page),
        filters=filters,
        theme_names={t.key: t.name for t in codebook.themes if not t.retired},
        sites=list(db.session.scalars(select(Site).order_by(Site.name))),
        suggestion=latest_suggestion(actor, event_id),
        changes=[change for change in pack.changes if change.seen_at is None],
        words=words,
    )


def mark_changes_seen(actor: User, event_id: int) -> None:
    """The facilitator has read why the pack changed."""
    _, pack = pack_of(actor, event_id)
    for change in pack.changes:
        change.seen_at = change.seen_at or utcnow()
    db.session.commit()


@dataclass(frozen=True)
class QuotePicker:
    """One story's anonymised text, for picking quotes from."""

    event: Event
    entry: PackStory
    story: Story
    text: str
    theme_names: dict[str, str]
    quotes: list[QuoteView]


def show_quote_picker(actor: User, event_id: int, story_id: int) -> QuotePicker:
    """Return the story's signed-off anonymised text and its quotes so far."""
    event, pack = pack_of(actor, event_id)
    entry = entry_of(pack, story_id)
    story = usable_story(story_id)
    released = released_text(story)
    shown = current_quotes(pack)
    db.session.commit()
    names = {t.key: t.name for t in current_codebook().themes}
    return QuotePicker(
        event=event,
        entry=entry,
        story=story,
        text=released.text if released else "",
        theme_names={key: names.get(key, key) for key in pack.theme_keys},
        quotes=[QuoteView(q, shown.get(q.id)) for q in entry.quotes],
    )


@dataclass(frozen=True)
class EventScreen:
    """An event's page: details, the pack in brief, its outputs, and what it agreed."""

    event: Event
    may_build: bool
    may_share: bool
    story_count: int
    renders: list[PackRender]
    changes: list[PackChange]
    theme_names: dict[str, str]
    pack_stories: list[tuple[int, str]]  # (story id, "Story 3: #12 A title") for actions


def show_event(actor: User, event_id: int) -> EventScreen:
    """Gather an event's page for whoever may see it (researchers: shared actions only)."""
    event = get_event(actor, event_id)
    may_build = policy.can_build_pack(actor, event)
    used = used_stories(event.pack) if may_build else []
    renders: list[PackRender] = []
    if may_build:
        query = select(PackRender).where(PackRender.pack_id == event.pack.id)
        renders = list(db.session.scalars(query.order_by(PackRender.id.desc()).limit(20)))
    return EventScreen(
        event=event,
        may_build=may_build,
        may_share=policy.can_share_actions(actor, event),
        story_count=len(used),
        renders=renders,
        changes=[c for c in event.pack.changes if c.seen_at is None] if may_build else [],
        theme_names={t.key: t.name for t in current_codebook().themes},
        pack_stories=[(i.story.id, f"{i.ref}: {story_label(i.story.id)}") for i in used],
    )
