"""Facet counts from (facet key, count) rows, computed once per search in Python.

The database groups the matches by facet key in one pass; each facet here is then counted
with every other filter applied but its own ("drill sideways"), so a researcher sees how many
stories each other value would give. Themes are the exception: chosen themes must all be
present, so their counts are within the current results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from storybank.search.query import LENGTH_BANDS
from storybank.search.query import FacetValues
from storybank.search.query import SearchQuery

DIMENSIONS = ("theme", "site", "voice", "story_type", "source", "length", "year")


@dataclass(frozen=True)
class FacetCount:
    """One value of one facet, how many stories carry it, and whether it is chosen."""

    value: str
    label: str
    count: int
    selected: bool


def _passes(values: FacetValues, query: SearchQuery, skip: str) -> bool:
    checks: dict[str, Callable[[], bool]] = {
        "theme": lambda: set(query.themes) <= values.themes,
        "site": lambda: not query.site_ids or int(values.site) in query.site_ids,
        "voice": lambda: not query.voices or values.voice in query.voices,
        "story_type": lambda: not query.story_types or values.story_type in query.story_types,
        "source": lambda: not query.sources or values.source in query.sources,
        "length": lambda: not query.lengths or values.length in query.lengths,
    }
    return all(check() for name, check in checks.items() if name != skip)


def _value_of(values: FacetValues, dimension: str) -> list[str]:
    if dimension == "theme":
        return sorted(values.themes)
    return [getattr(values, dimension)]


def count_facets(
    rows: list[tuple[str, int]], query: SearchQuery, labels: dict[str, dict[str, str]]
) -> tuple[int, dict[str, list[FacetCount]]]:
    """Return the number of stories the query finds, and every facet's counts."""
    parsed = [(FacetValues.parse(key), count) for key, count in rows]
    total = sum(count for values, count in parsed if _passes(values, query, skip=""))
    chosen = {
        "theme": set(query.themes),
        "site": {str(site_id) for site_id in query.site_ids},
        "voice": set(query.voices),
        "story_type": set(query.story_types),
        "source": set(query.sources),
        "length": set(query.lengths),
        "year": set(),
    }
    facets: dict[str, list[FacetCount]] = {}
    for dimension in DIMENSIONS:
        skip = "" if dimension in {"theme", "year"} else dimension
        counts: Counter[str] = Counter()
        for values, count in parsed:
            if _passes(values, query, skip):
                for value in _value_of(values, dimension):
                    counts[value] += count
        names = labels.get(dimension, {})
        known = list(names) if names else sorted(counts, reverse=dimension == "year")
        facets[dimension] = [
            FacetCount(value, names.get(value, value), counts[value], value in chosen[dimension])
            for value in known + sorted(set(counts) - set(known))
            if counts[value] or value in chosen[dimension]
        ]
    return total, facets


LENGTH_LABELS = {band.key: band.label for band in LENGTH_BANDS}
