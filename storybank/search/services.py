"""Research search: find approved stories whose consent allows research, by words and filters.

Only rows of the search index are ever read, and the index holds only stories that may be
searched (see `indexing.index_story`), so no filter or backend can reach anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import defer

from storybank.accounts.models import User
from storybank.core.errors import NotAllowed
from storybank.extensions import db
from storybank.search import policy
from storybank.search.backends import backend_for
from storybank.search.backends.base import all_conditions
from storybank.search.backends.base import date_conditions
from storybank.search.codec import facet_codec
from storybank.search.facets import LENGTH_LABELS
from storybank.search.facets import FacetCount
from storybank.search.facets import FacetTally
from storybank.search.facets import count_facets
from storybank.search.models import SearchDocument
from storybank.search.query import SearchQuery
from storybank.stories.models import VOICE_LABELS
from storybank.stories.models import Site
from storybank.stories.models import StoryType
from storybank.tag.services import current_codebook

PREVIEW_WORDS = 40
SOURCE_LABELS = {"audio": "Told aloud", "text": "Written"}

Snippet = tuple[tuple[str, bool], ...]  # (text, whether it matched)


@dataclass(frozen=True)
class Hit:
    """One story found, as a researcher sees it in a list (no title: titles are not anonymised)."""

    story_id: int
    site: str
    voice: str
    story_type: str
    source: str
    approved_on: date
    word_count: int
    themes: list[str]
    snippet: Snippet


@dataclass(frozen=True)
class SearchResults:
    """One page of a search, with every facet's counts."""

    query: SearchQuery
    total: int
    hits: list[Hit]
    page: int
    pages: int
    facets: dict[str, list[FacetCount]]
    ranked_within: int | None  # relevance was ranked among only this many newest matches
    backend: str


def require_search(actor: User | None) -> None:
    """Raise NotAllowed unless the user may search."""
    if not policy.can_search(actor):
        raise NotAllowed("Search is for researchers.")


def facet_labels() -> dict[str, dict[str, str]]:
    """The labels of every facet value people choose from, in the order they are shown."""
    codebook = current_codebook()
    sites = db.session.scalars(select(Site).order_by(Site.name))
    return {
        "theme": {theme.key: theme.name for theme in codebook.themes if not theme.retired},
        "site": {str(site.id): site.name for site in sites},
        "voice": {str(voice.value): label for voice, label in VOICE_LABELS.items()},
        "story_type": {t.value: t.value.capitalize() for t in StoryType},
        "source": SOURCE_LABELS,
        "length": LENGTH_LABELS,
    }


def split_snippet(marked: str) -> Snippet:
    """Split a snippet marked with \\x02 (start of a match) and \\x03 (end) into parts."""
    parts: list[tuple[str, bool]] = []
    for piece in re.split(r"(\x02[^\x03]*\x03)", marked):
        if piece.startswith("\x02"):
            parts.append((piece.strip("\x02\x03"), True))
        elif piece:
            parts.append((piece.replace("\x02", "").replace("\x03", ""), False))
    return tuple(parts)


def _preview(body: str) -> Snippet:
    words = body.split()
    text = " ".join(words[:PREVIEW_WORDS]) + (" …" if len(words) > PREVIEW_WORDS else "")
    return ((text, False),)


def _tally(
    query: SearchQuery, labels: dict[str, dict[str, str]]
) -> tuple[FacetTally, list[int] | None]:
    """Count the facets and, for relevance, pick the matches that are ranked.

    With words, every match comes back once as (story id, facet code), so facets and the
    stories to rank come from the same rows; without words, one row per distinct code is
    enough. Past `SEARCH_RANK_CAP` matches, only the newest that many are ranked.
    """
    backend = backend_for(db.session)
    codec = facet_codec()
    if not query.terms:
        rows = backend.grouped_codes(date_conditions(query))
        return count_facets(rows[:, 0], rows[:, 1], query, labels, codec), None
    rows = backend.matching_codes(query.terms, date_conditions(query))
    tally = count_facets(rows[:, 1], np.ones(len(rows), dtype=np.int64), query, labels, codec)
    if query.effective_sort != "relevance":
        return tally, None
    ids = rows[:, 0][tally.passing]
    cap = current_app.config["SEARCH_RANK_CAP"]
    if cap and len(ids) > cap:
        ids = np.partition(ids, len(ids) - cap)[len(ids) - cap :]
    return tally, [int(story_id) for story_id in ids]


def _page_ids(query: SearchQuery, candidates: list[int] | None) -> list[int]:
    """Return the page's story ids, best first or by date."""
    backend = backend_for(db.session)
    conditions = all_conditions(query)
    offset = (query.page - 1) * query.per_page
    if candidates is None:
        newest = query.effective_sort == "newest"
        return backend.dated_ids(query.terms, conditions, newest, query.per_page, offset)
    return backend.ranked_ids(query.terms, conditions, query.per_page, offset, candidates)


def search_stories(actor: User | None, query: SearchQuery) -> SearchResults:
    """Return one page of the stories the query finds, best first, with facet counts."""
    require_search(actor)
    backend = backend_for(db.session)
    labels = facet_labels()
    tally, candidates = _tally(query, labels)
    ranked_within = None
    if candidates is not None and len(candidates) < tally.total:
        ranked_within = len(candidates)
    covered = min(tally.total, ranked_within or tally.total)
    ids = _page_ids(query, candidates) if tally.total else []
    pages = max(1, -(-covered // query.per_page))
    wanted = select(SearchDocument).where(SearchDocument.story_id.in_(ids))
    if query.terms:  # the snippets come from the backend: the whole text is not needed
        wanted = wanted.options(defer(SearchDocument.body))
    documents = {row.story_id: row for row in db.session.scalars(wanted)}
    marked = backend.snippets(query.terms, ids) if query.terms else {}
    hits = []
    for story_id in ids:
        row = documents[story_id]
        snippet = split_snippet(marked[story_id]) if story_id in marked else _preview(row.body)
        hits.append(_hit(row, snippet, labels))
    return SearchResults(
        query, tally.total, hits, query.page, pages, tally.facets, ranked_within, backend.name
    )


def _hit(row: SearchDocument, snippet: Snippet, labels: dict[str, dict[str, str]]) -> Hit:
    themes = [labels["theme"].get(key, key) for key in row.themes.strip(",").split(",") if key]
    return Hit(
        story_id=row.story_id,
        site=labels["site"].get(str(row.site_id), ""),
        voice=labels["voice"].get(row.voice, row.voice),
        story_type=labels["story_type"].get(row.story_type, row.story_type),
        source=SOURCE_LABELS.get(row.source, row.source),
        approved_on=row.approved_on,
        word_count=row.word_count,
        themes=themes,
        snippet=snippet,
    )


def matching_story_ids(actor: User | None, query: SearchQuery) -> Iterator[list[int]]:
    """Yield, in batches, the ids of every story the query finds (for exports and charts)."""
    require_search(actor)
    backend = backend_for(db.session)
    yield from backend.matching_ids(query.terms, all_conditions(query))
