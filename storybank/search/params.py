"""Read a search from URL parameters, the same way for the page, the exports and the API.

q=words  theme=key (repeat)  site=id  voice=  type=  source=audio|text
length=short|medium|long  from=YYYY-MM-DD  to=YYYY-MM-DD  sort=relevance|newest|oldest
page=N  per_page=N
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol
from urllib.parse import urlencode

from storybank.core.errors import InvalidInput
from storybank.search.query import SearchQuery


class Args(Protocol):
    """What request.args offers (a werkzeug MultiDict)."""

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Give dates as YYYY-MM-DD.", name) from None


def _int(value: str | None, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"Give {name} as a whole number.", name) from None


def _values(args: Args, name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in args.getlist(name) if v))


def query_from_args(args: Args, per_page: int = 20) -> SearchQuery:
    """Build a SearchQuery from URL parameters; bad values raise InvalidInput."""
    site_ids = tuple(_int(value, "site", 0) for value in _values(args, "site"))
    return SearchQuery(
        text=(args.get("q") or "").strip(),
        themes=_values(args, "theme"),
        site_ids=site_ids,
        voices=_values(args, "voice"),
        story_types=_values(args, "type"),
        sources=_values(args, "source"),
        lengths=_values(args, "length"),
        date_from=_date(args.get("from"), "from"),
        date_to=_date(args.get("to"), "to"),
        sort=args.get("sort") or "relevance",
        page=_int(args.get("page"), "page", 1),
        per_page=_int(args.get("per_page"), "per_page", per_page),
    )


def query_to_params(query: SearchQuery) -> list[tuple[str, str]]:
    """The URL parameters that give this query back (without page), for links and manifests."""
    pairs: list[tuple[str, str]] = []
    if query.text:
        pairs.append(("q", query.text))
    for name, values in (
        ("theme", query.themes),
        ("site", tuple(str(site_id) for site_id in query.site_ids)),
        ("voice", query.voices),
        ("type", query.story_types),
        ("source", query.sources),
        ("length", query.lengths),
    ):
        pairs.extend((name, value) for value in values)
    if query.date_from:
        pairs.append(("from", query.date_from.isoformat()))
    if query.date_to:
        pairs.append(("to", query.date_to.isoformat()))
    if query.sort != "relevance":
        pairs.append(("sort", query.sort))
    return pairs


def query_to_dict(query: SearchQuery) -> Mapping[str, object]:
    """The query as plain data, for a manifest or the API."""
    return {
        "q": query.text,
        "themes": list(query.themes),
        "sites": list(query.site_ids),
        "voices": list(query.voices),
        "story_types": list(query.story_types),
        "sources": list(query.sources),
        "lengths": list(query.lengths),
        "from": query.date_from.isoformat() if query.date_from else None,
        "to": query.date_to.isoformat() if query.date_to else None,
        "sort": query.sort,
    }


def query_string(query: SearchQuery, **extra: str) -> str:
    """The query as a URL query string, with extra parameters (a page, say)."""
    return urlencode(query_to_params(query) + list(extra.items()))
