"""Pattern charts for researchers: counts over the stories a search finds, small ones hidden.

Counts come from the search index only (approved stories whose current consent allows
research), in two grouped queries whatever the number of stories: one by themes, voice and
site (for the voice, site and together tables and the totals) and one by themes and month of
approval. Every count leaves here through `shown_count`, so a small one is
only "fewer than N" before it reaches a drawing, a table or a download.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from flask import current_app

from storybank.accounts.models import User
from storybank.charts.engine import CountTable
from storybank.charts.engine import Row
from storybank.charts.engine import draw_chart
from storybank.core.errors import InvalidInput
from storybank.core.small_counts import ShownCount
from storybank.core.small_counts import complementary_cells
from storybank.core.small_counts import hidden_count
from storybank.core.small_counts import shown_count
from storybank.extensions import db
from storybank.search.backends import backend_for
from storybank.search.backends.base import all_conditions
from storybank.search.query import SearchQuery
from storybank.search.services import facet_labels
from storybank.search.services import require_search

CHARTS = ("over_time", "by_voice", "by_site", "together")
PERIODS = ("quarter", "month")
TITLES = {
    "over_time": "Themes over time",
    "by_voice": "Themes by voice",
    "by_site": "Themes by site",
    "together": "Themes that occur together",
}


# Fixed SQL per dialect for a story's month of approval, as "YYYY-MM".
@dataclass(frozen=True)
class ChartData:
    """The four tables of counts for one search, every count as people may see it."""

    query: SearchQuery
    period: str
    threshold: int
    total: ShownCount
    untagged: ShownCount  # stories with no confirmed theme
    tables: dict[str, CountTable]


@dataclass
class _Tally:
    """Raw counts while they are being added up; never leaves this module."""

    total: int = 0
    untagged: int = 0
    by_voice: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_site: Counter[tuple[str, str]] = field(default_factory=Counter)
    together: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_month: Counter[tuple[str, str]] = field(default_factory=Counter)
    seen_themes: set[str] = field(default_factory=set)


def _themes(stored: str) -> list[str]:
    return sorted(key for key in stored.strip(",").split(",") if key)


def _grouped(query: SearchQuery, *groups: str) -> list[tuple[object, ...]]:
    """Count the matching stories grouped by `groups`, through the search backend, so that
    words and filters match exactly as in search."""
    backend = backend_for(db.session)
    return backend.grouped_counts(query.terms, all_conditions(query), groups)


def _tally(query: SearchQuery) -> _Tally:
    """Run the two grouped queries and add their rows up."""
    tally = _Tally()
    for stored, voice, site_id, count in _grouped(query, "themes", "voice", "site"):
        themes = _themes(str(stored))
        tally.total += count
        tally.untagged += count if not themes else 0
        tally.seen_themes.update(themes)
        for index, theme in enumerate(themes):
            tally.by_voice[theme, str(voice)] += count
            tally.by_site[theme, str(site_id)] += count
            for other in themes[index:]:
                tally.together[theme, other] += count
    for stored, period, count in _grouped(query, "themes", "month"):
        for theme in _themes(str(stored)):
            tally.by_month[theme, str(period)] += count
    return tally


def _periods(months: Iterable[str], period: str) -> list[tuple[str, str]]:
    """Every period from the first story found to the last, gaps included."""
    found = sorted(set(months))
    if not found:
        return []
    first = date.fromisoformat(found[0] + "-01")
    last = date.fromisoformat(found[-1] + "-01")
    year, month = first.year, first.month
    keys: dict[str, str] = {}
    while (year, month) <= (last.year, last.month):
        key, label = _period_of(year, month, period)
        keys.setdefault(key, label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return list(keys.items())


def _period_of(year: int, month: int, period: str) -> tuple[str, str]:
    if period == "month":
        return f"{year:04d}-{month:02d}", date(year, month, 1).strftime("%b %Y")
    quarter = (month - 1) // 3 + 1
    return f"{year:04d}-Q{quarter}", f"{year} Q{quarter}"


def _row(counts: list[int], threshold: int) -> tuple[ShownCount, ...]:
    """A row's counts as shown: small ones, and one more where a single small one could be
    worked out from the theme's total (see `complementary_cells`)."""
    hidden = complementary_cells(counts, threshold)
    return tuple(
        hidden_count() if i in hidden else shown_count(count, threshold)
        for i, count in enumerate(counts)
    )


def _small_only(counts: list[int], threshold: int) -> tuple[ShownCount, ...]:
    return tuple(shown_count(count, threshold) for count in counts)


def _table(
    name: str,
    columns: list[tuple[str, str]],
    themes: list[tuple[str, str]],
    counts: Counter[tuple[str, str]],
    threshold: int,
    column_heading: str,
) -> CountTable:
    """One chart's table. Rows split a theme's stories into columns, so each row is protected
    against subtraction; the together grid's rows overlap, so only its small cells hide."""
    row_of = _row if name != "together" else _small_only
    rows = tuple(
        Row(key, label, row_of([counts[key, column] for column, _ in columns], threshold))
        for key, label in themes
    )
    return CountTable(name, TITLES[name], "Theme", column_heading, tuple(columns), rows, threshold)


def chart_data(actor: User | None, query: SearchQuery, period: str = "quarter") -> ChartData:
    """Count the stories the search finds per theme: by period, voice and site, and together."""
    require_search(actor)
    if period not in PERIODS:
        raise InvalidInput("Group by quarter or month.", "period")
    threshold = current_app.config["SMALL_COUNT_THRESHOLD"]
    labels = facet_labels()
    tally = _tally(query)
    themes = list(labels["theme"].items()) + [
        (key, key) for key in sorted(tally.seen_themes - set(labels["theme"]))
    ]
    by_period: Counter[tuple[str, str]] = Counter()
    for (theme, month), count in tally.by_month.items():
        year, number = (int(part) for part in month.split("-"))
        by_period[theme, _period_of(year, number, period)[0]] += count
    together = Counter(tally.together)
    for (theme, other), count in tally.together.items():
        together[other, theme] = count
    sites = sorted(
        {site for _, site in tally.by_site} | {str(site) for site in query.site_ids},
        key=lambda site: (labels["site"].get(site, f"Site {site}").lower(), site),
    )
    heading = "Quarter approved" if period == "quarter" else "Month approved"
    months = [month for _, month in tally.by_month]
    tables = {
        "over_time": _table("over_time", _periods(months, period), themes, by_period,
                            threshold, heading),
        "by_voice": _table("by_voice", list(labels["voice"].items()), themes, tally.by_voice,
                           threshold, "Voice"),
        "by_site": _table("by_site", [(s, labels["site"].get(s, f"Site {s}")) for s in sites],
                          themes, tally.by_site, threshold, "Site"),
        "together": _table("together", themes, themes, together, threshold, "Theme"),
    }  # fmt: skip
    return ChartData(
        query,
        period,
        threshold,
        shown_count(tally.total, threshold),
        shown_count(tally.untagged, threshold),
        tables,
    )


@functools.lru_cache(maxsize=256)
def _drawn(table: CountTable) -> str:
    """Draw a table, once per process for the same counts and labels.

    Drawing the four charts with matplotlib took most of the charts page (about 1.5 s of 1.6 on
    2 cores under load), and the drawing depends on the table alone (byte-for-byte the same
    SVG), which holds only counts already through `shown_count` and labels, never story text.
    """
    return draw_chart(table)


def chart_svg(actor: User | None, query: SearchQuery, name: str, period: str = "quarter") -> str:
    """Draw one chart of the search as SVG: the page's image, and its download."""
    if name not in CHARTS:
        raise InvalidInput("There is no such chart.", "name")
    data = chart_data(actor, query, period)
    return _drawn(data.tables[name])


def bench_all_charts(actor: User | None, query: SearchQuery | None = None) -> dict[str, str]:
    """Benchmark hook: count and draw all four charts for a search (every story by default).

    Call inside an app context; a benchmark times this at 100,000 stories.
    """
    data = chart_data(actor, query or SearchQuery())
    return {name: draw_chart(data.tables[name]) for name in CHARTS}  # never the cache: timed
