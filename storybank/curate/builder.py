"""The pack builder: find stories that may go in a pack, add them, order them, say why.

Only approved stories whose current consent allows use at events are ever offered or kept,
and only their signed-off anonymised text is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storybank.accounts.models import User
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.services import ReleasedText
from storybank.anonymise.services import released_text
from storybank.anonymise.services import released_texts
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.curate import policy
from storybank.curate.events import get_event
from storybank.curate.models import Event
from storybank.curate.models import Pack
from storybank.curate.models import PackStory
from storybank.extensions import db
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus
from storybank.stories.models import StoryText
from storybank.tag.models import StoryTheme
from storybank.tag.services import current_codebook
from storybank.tag.services import tags_for_stories

PAGE_SIZE = 20
PREVIEW_WORDS = 40
# Words that may only be in a placeholder ([PERSON 1]), so not in the original text.
_PLACEHOLDER_WORD = re.compile(r"\[?(person|location|place|org|date|phone|email|id)?\]?\d*\]?")


@dataclass(frozen=True)
class PackFilters:
    """What the facilitator narrows the approved stories by; empty means any."""

    theme: str = ""
    voice: str = ""
    site_id: int | None = None
    story_type: str = ""
    source: str = ""  # "audio" | "text"
    min_words: int | None = None
    max_words: int | None = None
    words: str = ""  # words that must all be in the anonymised text


@dataclass(frozen=True)
class Candidate:
    """A story the facilitator may add: its facts, confirmed themes and opening words."""

    story: Story
    themes: list[str]
    preview: str
    in_pack: bool


@dataclass(frozen=True)
class CandidatePage:
    """One page of candidates, and how many matched in all."""

    candidates: list[Candidate]
    page: int
    pages: int
    total: int


def pack_of(actor: User, event_id: int) -> tuple[Event, Pack]:
    """Return an event and its pack for someone who may build it."""
    event = get_event(actor, event_id)
    if not policy.can_build_pack(actor, event):
        raise NotAllowed("Only facilitators and admins build packs.")
    return event, event.pack


def touch(actor: User, pack: Pack, what: str, story_id: int | None = None) -> None:
    """Note an edit: a new revision of the pack, and an audit event (ids only)."""
    pack.revision += 1
    details: dict[str, object] = {"what": what}
    if story_id is not None:
        details["story"] = story_id
    record_event(
        AuditAction.PACK_EDITED, actor_id=actor.id, target_type="pack", target_id=pack.id, **details
    )


def latest_consent_allows_events() -> Select:
    """Select the ids of stories whose newest consent record allows use at events."""
    newest = select(func.max(ConsentRecord.id)).group_by(ConsentRecord.story_id).scalar_subquery()
    return select(ConsentRecord.story_id).where(
        ConsentRecord.id.in_(newest), ConsentRecord.processing, ConsentRecord.events
    )


def _signed_off_current_text() -> object:
    """Join condition: the story's newest text version has signed-off redactions."""
    newest = (
        select(StoryText.id)
        .where(StoryText.story_id == Story.id)
        .order_by(StoryText.version.desc())
        .limit(1)
        .correlate(Story)
        .scalar_subquery()
    )
    return and_(
        Anonymisation.story_id == Story.id,
        Anonymisation.signed_off_at.is_not(None),
        Anonymisation.text_version_id == newest,
    )


def eligible_stories(filters: PackFilters) -> Select:
    """Select approved, signed-off stories with consent for events, narrowed by the filters.

    Words are looked for in the original text here only to narrow the search: a story is
    shown only if its anonymised text has them too (`list_pack_candidates` checks), so a
    redacted word never finds its story.
    """
    query = (
        select(Story)
        .join(Anonymisation, _signed_off_current_text())
        .where(
            Story.status == StoryStatus.APPROVED.value,
            Story.id.in_(latest_consent_allows_events()),
        )
    )
    if filters.theme:
        query = query.where(
            exists().where(
                StoryTheme.story_id == Story.id,
                StoryTheme.theme_key == filters.theme,
                StoryTheme.decision == "confirmed",
            )
        )
    for column, value in (
        (Story.voice, filters.voice),
        (Story.site_id, filters.site_id),
        (Story.story_type, filters.story_type),
        (Story.source_kind, filters.source),
    ):
        if value:
            query = query.where(column == value)
    if filters.min_words is not None:
        query = query.where(Story.word_count >= filters.min_words)
    if filters.max_words is not None:
        query = query.where(Story.word_count <= filters.max_words)
    words = [w for w in filters.words.casefold().split() if not _PLACEHOLDER_WORD.fullmatch(w)]
    if words:
        query = query.join(StoryText, StoryText.id == Anonymisation.text_version_id)
        for word in words:
            query = query.where(func.lower(StoryText.body).contains(word, autoescape=True))
    return query.order_by(Story.word_count, Story.id)


def _has_words(text: ReleasedText | None, words: str) -> bool:
    if text is None:
        return False
    haystack = text.text.casefold()
    return all(word in haystack for word in words.casefold().split())


def list_pack_candidates(
    actor: User, event_id: int, filters: PackFilters, page: int = 1
) -> CandidatePage:
    """Return a page of stories the facilitator may add to this event's pack, shortest first."""
    _, pack = pack_of(actor, event_id)
    query = eligible_stories(filters)
    # Texts and redactions a page at a time (`released_texts`), never a few queries per story.
    with_texts = query.options(selectinload(Story.texts))
    texts: dict[int, ReleasedText] = {}
    if filters.words.strip():
        stories = list(db.session.scalars(with_texts))
        texts = released_texts(stories)
        stories = [s for s in stories if _has_words(texts.get(s.id), filters.words)]
        total = len(stories)
    else:
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    if filters.words.strip():
        shown = stories[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    else:
        shown = list(db.session.scalars(with_texts.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        texts = released_texts(shown)
    themes = tags_for_stories([s.id for s in shown])
    in_pack = {entry.story_id for entry in pack.entries}
    candidates = [
        Candidate(s, themes[s.id], _preview(texts.get(s.id)), s.id in in_pack) for s in shown
    ]
    return CandidatePage(candidates, page, pages, total)


def _preview(text: ReleasedText | None) -> str:
    words = (text.text if text else "").split()
    more = "…" if len(words) > PREVIEW_WORDS else ""
    return " ".join(words[:PREVIEW_WORDS]) + more


def usable_story(story_id: int) -> Story:
    """Return a story that may go in a pack now, else InvalidInput saying why not."""
    story = db.session.get(Story, story_id)
    if story is None:
        raise NotFound
    if not policy.may_go_in_a_pack(story) or released_text(story) is None:
        raise InvalidInput(
            "That story cannot go in a pack: only approved stories whose storyteller agreed to "
            "their use at events can."
        )
    return story


def add_story_to_pack(actor: User, event_id: int, story_id: int, reason: str = "") -> PackStory:
    """Add a story at the end of the pack, with why it was chosen."""
    _, pack = pack_of(actor, event_id)
    story = usable_story(story_id)
    existing = next((e for e in pack.entries if e.story_id == story.id), None)
    if existing is not None:
        return existing
    entry = PackStory(
        story_id=story.id,
        position=1 + max((e.position for e in pack.entries), default=0),
        reason=_limited(reason, "reason", 2000),
        added_by_id=actor.id,
    )
    pack.entries.append(entry)
    touch(actor, pack, "story_added", story.id)
    db.session.commit()
    return entry


def entry_of(pack: Pack, story_id: int) -> PackStory:
    """Return the pack's entry for a story, else NotFound."""
    entry = next((e for e in pack.entries if e.story_id == story_id), None)
    if entry is None:
        raise NotFound
    return entry


def remove_story_from_pack(actor: User, event_id: int, story_id: int) -> None:
    """Take a story, with its quotes, out of the pack."""
    _, pack = pack_of(actor, event_id)
    pack.entries.remove(entry_of(pack, story_id))
    touch(actor, pack, "story_removed", story_id)
    db.session.commit()


def move_story_in_pack(actor: User, event_id: int, story_id: int, steps: int) -> None:
    """Move a story up (negative steps) or down the pack's order."""
    _, pack = pack_of(actor, event_id)
    entries = list(pack.entries)
    entry = entry_of(pack, story_id)
    index = entries.index(entry)
    entries.insert(min(max(0, index + steps), len(entries) - 1), entries.pop(index))
    for position, item in enumerate(entries, start=1):
        item.position = position
    touch(actor, pack, "order")
    db.session.commit()


def _limited(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidInput(f"Shorten this to {limit} characters or fewer.", field=field)
    return value


def save_story_notes(
    actor: User, event_id: int, story_id: int, reason: str, summary: str
) -> PackStory:
    """Keep why the story was chosen, and a summary that will always be labelled as one."""
    _, pack = pack_of(actor, event_id)
    entry = entry_of(pack, story_id)
    entry.reason = _limited(reason, "reason", 2000)
    entry.summary = _limited(summary, "summary", 3000)
    touch(actor, pack, "story_notes", story_id)
    db.session.commit()
    return entry


def save_pack_plan(
    actor: User, event_id: int, theme_keys: list[str], prompts: dict[str, str], notes: str
) -> Pack:
    """Keep the pack's themes, the discussion prompts for each, and the facilitator's notes."""
    _, pack = pack_of(actor, event_id)
    known = [t.key for t in current_codebook().themes if not t.retired]
    chosen = [key for key in known if key in set(theme_keys)]
    if not chosen:
        raise InvalidInput("Choose at least one theme for the pack.", field="theme_keys")
    pack.theme_keys = chosen
    # Prompts are kept for every theme, ticked or not, so unticking one loses nothing.
    pack.prompts = {
        key: _limited(prompts[key], f"prompt_{key}", 3000) for key in known if prompts.get(key)
    }
    pack.facilitator_notes = _limited(notes, "facilitator_notes", 20_000)
    touch(actor, pack, "plan")
    db.session.commit()
    return pack
