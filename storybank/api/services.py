"""What the research API answers, as plain data: search, one story, the codebook, theme counts.

Every answer comes from the search index (`search_documents`), which holds only approved
stories whose current consent allows research, and only their anonymised text. Titles,
pseudonyms and originals are never read here. Each function checks the API policy first.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from storybank.accounts.models import User
from storybank.api import params
from storybank.api.tokens import require_api_user
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.errors import NotFound
from storybank.core.ids import public_story_id
from storybank.core.small_counts import shown_count
from storybank.extensions import db
from storybank.search.indexing import may_be_searched
from storybank.search.models import SearchDocument
from storybank.search.params import query_from_args
from storybank.search.params import query_to_dict
from storybank.search.services import Snippet
from storybank.search.services import facet_labels
from storybank.search.services import search_stories
from storybank.stories.models import Story
from storybank.tag.services import current_codebook

Json = dict[str, Any]


def plain_snippet(snippet: Snippet) -> tuple[str, list[list[int]]]:
    """Join a snippet's parts into plain text, with [start, end) offsets of the matches."""
    text, highlights = "", []
    for part, is_match in snippet:
        if is_match:
            highlights.append([len(text), len(text) + len(part)])
        text += part
    return text, highlights


def _themes(row: SearchDocument, names: dict[str, str]) -> list[Json]:
    keys = [key for key in row.themes.strip(",").split(",") if key]
    return [{"key": key, "name": names.get(key, key)} for key in keys]


def _attributes(row: SearchDocument, labels: dict[str, dict[str, str]]) -> Json:
    """A story's attributes as the API shows them: codes, with the site's name and themes."""
    return {
        "story_id": public_story_id(row.story_id),
        "site": {"id": row.site_id, "name": labels["site"].get(str(row.site_id), "")},
        "voice": row.voice,
        "story_type": row.story_type,
        "source": row.source,
        "approved_on": row.approved_on.isoformat(),
        "word_count": row.word_count,
        "themes": _themes(row, labels["theme"]),
    }


def _facets(results_facets: dict[str, list[Any]]) -> Json:
    return {
        name: [dataclasses.asdict(count) for count in counts]
        for name, counts in results_facets.items()
    }


def search(actor: User | None, args: MultiDict[str, str]) -> Json:
    """One page of search results with facets, for the given URL parameters."""
    require_api_user(actor)
    params.check_args(args, params.SEARCH_PARAMS)
    results = search_stories(actor, query_from_args(args))
    ids = [hit.story_id for hit in results.hits]
    rows = {
        row.story_id: row
        for row in db.session.scalars(
            select(SearchDocument).where(SearchDocument.story_id.in_(ids))
        )
    }
    labels = facet_labels()
    items = []
    for hit in results.hits:
        text, highlights = plain_snippet(hit.snippet)
        item = _attributes(rows[hit.story_id], labels)
        item.update(snippet=text, highlights=highlights)
        items.append(item)
    return {
        "query": dict(query_to_dict(results.query)),
        "total": results.total,
        "page": results.page,
        "per_page": results.query.per_page,
        "pages": results.pages,
        "ranked_within": results.ranked_within,
        "results": items,
        "facets": _facets(results.facets),
    }


def story(actor: User | None, story_id: int, token_id: int | None = None) -> Json:
    """One story's anonymised text, attributes and confirmed themes, if it is in the index.

    Anything else (no such story, not approved, no research consent) is NotFound. The read
    is audited (ids only), so that whoever received a story later withdrawn can be told.
    """
    require_api_user(actor)
    assert actor is not None
    row = db.session.get(SearchDocument, story_id) if 1 <= story_id <= params.MAX_ID else None
    source = db.session.get(Story, story_id) if row is not None else None
    if row is None or source is None or not may_be_searched(source):
        raise NotFound
    found = _attributes(row, facet_labels())
    found["text"] = row.body
    record_event(
        AuditAction.API_STORY_READ,
        actor_id=actor.id,
        target_type="story",
        target_id=story_id,
        token=token_id,
    )
    db.session.commit()
    return found


def codebook(actor: User | None) -> Json:
    """The current codebook: its version and every theme in use."""
    require_api_user(actor)
    row = current_codebook()
    return {
        "version": row.version,
        "themes": [
            {
                "key": theme.key,
                "name": theme.name,
                "definition": theme.definition,
                "indicators": list(theme.indicators or []),
            }
            for theme in row.themes
            if not theme.retired
        ],
    }


def _shown(count: int, threshold: int) -> Json:
    shown = shown_count(count, threshold)
    return {"count": shown.value, "label": shown.label}


def theme_counts(actor: User | None, args: MultiDict[str, str]) -> Json:
    """Stories per theme for the filters, each count below the threshold shown only as small."""
    require_api_user(actor)
    params.check_args(args, params.FILTERS)
    query = dataclasses.replace(query_from_args(args), sort="newest", page=1, per_page=1)
    results = search_stories(actor, query)
    threshold = current_app.config["SMALL_COUNT_THRESHOLD"]
    counts = {facet.value: facet for facet in results.facets["theme"]}
    names = {theme.key: theme.name for theme in current_codebook().themes if not theme.retired}
    keys = list(names) + [key for key in counts if key not in names]
    return {
        "query": dict(query_to_dict(query)),
        "threshold": threshold,
        "total": _shown(results.total, threshold),
        "themes": [
            {
                "key": key,
                "name": names.get(key, counts[key].label if key in counts else key),
                **_shown(counts[key].count if key in counts else 0, threshold),
            }
            for key in keys
        ],
    }
