"""Quotes: verbatim passages of a story's anonymised text, held as offsets, never as text.

A facilitator picks a passage of the signed-off anonymised text. It is stored as a span of
the original text version (so a redaction added later shows as its placeholder in the quote)
and a digest of the passage as it was seen. Each time the pack is read the quote is derived
again: if the text version changed it is re-found word for word or marked lost; if the
anonymised passage differs from what was picked it is marked changed for the facilitator to
look at. A quote is never silently different from what the facilitator chose.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storybank.accounts.models import User
from storybank.anonymise.services import anonymised_passages
from storybank.anonymise.services import released_text
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.curate.builder import entry_of
from storybank.curate.builder import pack_of
from storybank.curate.builder import touch
from storybank.curate.builder import usable_story
from storybank.curate.engine.anchor import locate_passage
from storybank.curate.engine.anchor import passage_digest
from storybank.curate.engine.anchor import reanchor
from storybank.curate.models import Pack
from storybank.curate.models import PackQuote
from storybank.curate.models import PackStory
from storybank.curate.models import QuoteStatus
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.stories.models import StoryText

QUOTE_LIMIT = 1500

_LOCATE_PROBLEMS = {
    "empty": "Select a passage of the story first.",
    "absent": "That passage is not in the story word for word. Select it again from the text.",
    "ambiguous": "Those words appear more than once. Select the passage on the page itself.",
}


def pick_quote(
    actor: User,
    event_id: int,
    story_id: int,
    passage: str,
    theme_key: str,
    start: int | None = None,
    end: int | None = None,
) -> PackQuote:
    """Add a quote: a passage of the story's anonymised text, for one of the pack's themes."""
    _, pack = pack_of(actor, event_id)
    entry = entry_of(pack, story_id)
    story = usable_story(story_id)
    released = released_text(story)
    assert released is not None  # usable_story checked it
    if theme_key not in pack.theme_keys:
        raise InvalidInput("Choose which of the pack's themes the quote is for.", field="theme")
    if len(passage) > QUOTE_LIMIT:
        raise InvalidInput(
            f"A quote can be up to {QUOTE_LIMIT} characters. Pick a shorter passage.",
            field="passage",
        )
    try:
        span = locate_passage(released.text, passage, start, end)
    except ValueError as problem:
        raise InvalidInput(_LOCATE_PROBLEMS[str(problem)], field="passage") from None
    original = released.to_original(*span)
    shown = _derive(story, original)
    quote = PackQuote(
        story_id=story.id,
        text_version_id=released.text_version_id,
        start=original[0],
        end=original[1],
        theme_key=theme_key,
        picked_sha256=passage_digest(shown),
        position=1 + max((q.position for q in entry.quotes), default=0),
        picked_by_id=actor.id,
        picked_at=utcnow(),
    )
    entry.quotes.append(quote)
    touch(actor, pack, "quote_added", story.id)
    db.session.commit()
    return quote


def _derive(story: Story, span: tuple[int, int]) -> str:
    passages = anonymised_passages(story, [span])
    if not passages:
        raise InvalidInput("The story's anonymised text is not ready. Try again later.")
    return passages[0]


def _quote_in(pack: Pack, quote_id: int) -> PackQuote:
    for entry in pack.entries:
        for quote in entry.quotes:
            if quote.id == quote_id:
                return quote
    raise NotFound


def remove_quote(actor: User, event_id: int, quote_id: int) -> None:
    """Take a quote out of the pack."""
    _, pack = pack_of(actor, event_id)
    quote = _quote_in(pack, quote_id)
    quote.entry.quotes.remove(quote)
    touch(actor, pack, "quote_removed", quote.story_id)
    db.session.commit()


def keep_changed_quote(actor: User, event_id: int, quote_id: int) -> PackQuote:
    """The facilitator has read a changed quote and keeps it as it now reads."""
    _, pack = pack_of(actor, event_id)
    quote = _quote_in(pack, quote_id)
    shown = current_quotes(pack).get(quote.id)
    if shown is None:
        raise InvalidInput("That quote's words are no longer in the story. Pick it again.")
    quote.picked_sha256 = passage_digest(shown)
    quote.status = QuoteStatus.CURRENT.value
    touch(actor, pack, "quote_kept", quote.story_id)
    db.session.commit()
    return quote


def _follow_text(quote: PackQuote, story: Story) -> bool:
    """Move a quote onto the story's newest text version; False if its words are gone."""
    current = story.current_text
    if current is None:
        return False
    if current.id == quote.text_version_id:
        return True
    old = db.session.get(StoryText, quote.text_version_id)
    span = reanchor(old.body, current.body, quote.start, quote.end) if old else None
    if span is None:
        return False
    quote.text_version_id, (quote.start, quote.end) = current.id, span
    return True


def current_quotes(pack: Pack) -> dict[int, str | None]:
    """Derive every quote of the pack as it reads now, marking changed and lost ones.

    Returns quote id -> passage (None when lost). Status changes are flushed, not committed;
    the caller's transaction keeps them.
    """
    shown: dict[int, str | None] = {}
    # Every entry's quotes in one query rather than one per entry.
    db.session.scalars(
        select(PackStory)
        .where(PackStory.pack_id == pack.id)
        .options(selectinload(PackStory.quotes))
    ).all()
    for entry in pack.entries:
        story = db.session.get(Story, entry.story_id)
        for quote in entry.quotes:
            passage = None
            if story is not None and _follow_text(quote, story):
                passages = anonymised_passages(story, [(quote.start, quote.end)])
                passage = passages[0] if passages else None
            if passage is None:
                quote.status = QuoteStatus.LOST.value
            elif passage_digest(passage) != quote.picked_sha256:
                quote.status = QuoteStatus.CHANGED.value
            else:
                quote.status = QuoteStatus.CURRENT.value
            shown[quote.id] = passage
    db.session.flush()
    return shown
