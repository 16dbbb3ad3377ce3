"""Facet counts from (facet code, count) rows, with array arithmetic, once per search.

The database groups the matches by facet code in one pass; each facet here is then counted
with every other filter applied but its own ("drill sideways"), so a researcher sees how many
stories each other value would give. Themes are the exception: chosen themes must all be
present, so their counts are within the current results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storybank.search.query import BAND_CODES
from storybank.search.query import LENGTH_BANDS
from storybank.search.query import SHIFTS
from storybank.search.query import SOURCE_CODES
from storybank.search.query import THEME_BITS
from storybank.search.query import FacetCodec
from storybank.search.query import SearchQuery

DIMENSIONS = ("theme", "site", "voice", "story_type", "source", "length", "year")
LENGTH_LABELS = {band.key: band.label for band in LENGTH_BANDS}


@dataclass(frozen=True)
class FacetCount:
    """One value of one facet, how many stories carry it, and whether it is chosen."""

    value: str
    label: str
    count: int
    selected: bool


def _part(codes: np.ndarray, name: str) -> np.ndarray:
    shift, mask = SHIFTS[name]
    return (codes >> shift) & mask


def _values_by_dimension(codec: FacetCodec) -> dict[str, list[str]]:
    """Each dimension's values by code (the position in the list is the code)."""
    return {
        "voice": list(codec.voices),
        "story_type": list(codec.story_types),
        "source": sorted(SOURCE_CODES, key=SOURCE_CODES.__getitem__),
        "length": sorted(BAND_CODES, key=BAND_CODES.__getitem__),
    }


def _filter_masks(
    parts: dict[str, np.ndarray], query: SearchQuery, codec: FacetCodec
) -> dict[str, np.ndarray]:
    """One boolean array per filtered dimension: which rows pass that filter."""
    masks: dict[str, np.ndarray] = {}
    wanted_bits = 0
    for key in query.themes:
        position = codec.theme_keys.index(key) if key in codec.theme_keys else THEME_BITS
        wanted_bits |= 1 << position if position < THEME_BITS else 1 << THEME_BITS  # never met
    if query.themes:
        masks["theme"] = (parts["themes"] & wanted_bits) == wanted_bits
    if query.site_ids:
        masks["site"] = np.isin(parts["site"], list(query.site_ids))
    chosen = {"voice": query.voices, "story_type": query.story_types,
              "source": query.sources, "length": query.lengths}  # fmt: skip
    for name, values in _values_by_dimension(codec).items():
        if chosen[name]:
            codes = [position for position, value in enumerate(values) if value in chosen[name]]
            masks[name] = np.isin(parts[name], codes)
    return masks


@dataclass(frozen=True)
class FacetTally:
    """What one search found: its size, every facet, and which rows pass every filter."""

    total: int
    facets: dict[str, list[FacetCount]]
    passing: np.ndarray


def count_facets(
    codes: np.ndarray,
    counts: np.ndarray,
    query: SearchQuery,
    labels: dict[str, dict[str, str]],
    codec: FacetCodec,
) -> FacetTally:
    """Count the stories the query finds and every facet, from facet codes and their counts
    (one row per story, or one per distinct code)."""
    parts = {name: _part(codes, name) for name in SHIFTS}
    masks = _filter_masks(parts, query, codec)
    everything = np.ones(len(codes), dtype=bool)

    def passing(skip: str) -> np.ndarray:
        result = everything.copy()
        for name, mask in masks.items():
            if name != skip:
                result &= mask
        return result

    passing_all = passing("")
    facets = {}
    for dimension in DIMENSIONS:
        keep = passing("" if dimension in {"theme", "year"} else dimension)
        tally = _tally(dimension, parts, counts, keep, codec)
        facets[dimension] = _facet(dimension, tally, query, labels)
    return FacetTally(int(counts[passing_all].sum()), facets, passing_all)


def _tally(
    dimension: str,
    parts: dict[str, np.ndarray],
    counts: np.ndarray,
    keep: np.ndarray,
    codec: FacetCodec,
) -> dict[str, int]:
    """Stories per value of one dimension, among the rows kept."""
    if dimension == "theme":
        themes, weights = parts["themes"][keep], counts[keep]
        return {
            key: int(weights[(themes >> bit) & 1 == 1].sum())
            for bit, key in enumerate(codec.theme_keys[:THEME_BITS])
        }
    values, where = np.unique(parts[dimension][keep], return_inverse=True)
    sums = np.bincount(where, weights=counts[keep], minlength=len(values))
    if dimension == "site":
        return {str(int(v)): int(n) for v, n in zip(values, sums, strict=True)}
    if dimension == "year":
        return {str(2000 + int(v)): int(n) for v, n in zip(values, sums, strict=True)}
    names = _values_by_dimension(codec)[dimension]
    return {
        names[int(v)] if int(v) < len(names) else "other": int(n)
        for v, n in zip(values, sums, strict=True)
    }


def _facet(
    dimension: str, tally: dict[str, int], query: SearchQuery, labels: dict[str, dict[str, str]]
) -> list[FacetCount]:
    chosen = {
        "theme": set(query.themes),
        "site": {str(site_id) for site_id in query.site_ids},
        "voice": set(query.voices),
        "story_type": set(query.story_types),
        "source": set(query.sources),
        "length": set(query.lengths),
        "year": set(),
    }[dimension]
    names = labels.get(dimension, {})
    known = list(names) if names else sorted(tally, reverse=dimension == "year")
    ordered = known + sorted(set(tally) - set(known))
    return [
        FacetCount(value, names.get(value, value), tally.get(value, 0), value in chosen)
        for value in ordered
        if tally.get(value, 0) or value in chosen
    ]
