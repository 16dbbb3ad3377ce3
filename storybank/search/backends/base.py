"""What both backends share: filters as SQL, and every query that needs no words.

A backend adds only how words match (`_match`), how matches are scored, and snippets.
Filter values are always bound parameters; only fixed SQL is ever written into a query.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
from sqlalchemy import bindparam
from sqlalchemy import text
from sqlalchemy.orm import Session

from storybank.search.query import LENGTH_BANDS
from storybank.search.query import SearchQuery
from storybank.search.query import Term


@dataclass
class Conditions:
    """SQL conditions on `d` (search_documents) with their parameters."""

    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    expanding: set[str] = field(default_factory=set)

    def add(self, clause: str, **params: Any) -> None:
        self.clauses.append(clause)
        self.params.update(params)

    def add_in(self, column: str, name: str, values: tuple[Any, ...]) -> None:
        if values:
            self.add(f"{column} IN :{name}", **{name: list(values)})
            self.expanding.add(name)

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1 = 1"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def date_conditions(query: SearchQuery) -> Conditions:
    """The filters that are not facets: the date range."""
    conditions = Conditions()
    if query.date_from:
        conditions.add("d.approved_on >= :date_from", date_from=query.date_from)
    if query.date_to:
        conditions.add("d.approved_on <= :date_to", date_to=query.date_to)
    return conditions


def all_conditions(query: SearchQuery) -> Conditions:
    """Every filter of the query as SQL."""
    conditions = date_conditions(query)
    for index, theme in enumerate(query.themes):
        name = f"theme_{index}"
        conditions.add(f"d.themes LIKE :{name} ESCAPE '\\'", **{name: f"%,{_escape_like(theme)},%"})
    conditions.add_in("d.site_id", "site_ids", query.site_ids)
    conditions.add_in("d.voice", "voices", query.voices)
    conditions.add_in("d.story_type", "story_types", query.story_types)
    conditions.add_in("d.source", "sources", query.sources)
    bands = [band for band in LENGTH_BANDS if band.key in query.lengths]
    if bands:
        ranges = []
        for band in bands:
            upper = f" AND d.word_count <= {band.max_words}" if band.max_words is not None else ""
            ranges.append(f"(d.word_count >= {band.min_words}{upper})")  # fixed numbers
        conditions.add("(" + " OR ".join(ranges) + ")")
    return conditions


# What matching stories may be counted by: fixed SQL on `d`. A backend may override `month`.
GROUPS = {
    "themes": "d.themes",
    "voice": "d.voice",
    "site": "d.site_id",
    "month": "substr(d.approved_on, 1, 7)",
}


@dataclass(frozen=True)
class Match:
    """How words match in one backend.

    `filter` is a condition on `d` (read from `filter_source`), for counting and listing
    matches; `ranked_source`
    and `ranked_where` drive a query from the full-text index, for scoring (`score`, best
    first); `rowid` is the story id column there, so that a cutoff reaches the index itself.
    """

    filter: str
    ranked_source: str
    ranked_where: str
    score: str
    rowid: str
    params: dict[str, Any]
    filter_source: str = "search_documents d"


class SearchBackend:
    """Runs the queries of research search; subclasses say how words match."""

    name = "base"

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- what a backend provides -------------------------------------------------------
    def _match(self, terms: tuple[Term, ...]) -> Match:
        raise NotImplementedError

    def snippets(self, terms: tuple[Term, ...], story_ids: list[int]) -> dict[int, str]:
        """Return a short passage of each story around its matches, marked with \\x02/\\x03."""
        raise NotImplementedError

    # -- shared queries --------------------------------------------------------------------
    def _run(self, sql: str, conditions: Conditions, extra: dict[str, Any] | None = None) -> Any:
        statement = text(sql)
        for name in conditions.expanding:
            statement = statement.bindparams(bindparam(name, expanding=True))
        return self.session.execute(statement, {**conditions.params, **(extra or {})})

    def _select(
        self,
        columns: str,
        terms: tuple[Term, ...],
        conditions: Conditions,
        tail: str = "",
        score: bool = False,
    ) -> tuple[str, dict[str, Any]]:
        """Write a query over the matching rows. Every piece is fixed SQL from this package;
        what a person typed reaches the database only as bound parameters."""
        source, where, params, order = "search_documents d", "1 = 1", {}, "d.story_id DESC"
        if terms:
            match = self._match(terms)
            params = match.params
            if score:
                source, where, order = match.ranked_source, match.ranked_where, match.score
            else:
                source, where = match.filter_source, match.filter
        tail = tail.replace("{score}", order) if score else tail
        sql = f"SELECT {columns} FROM {source} WHERE {where} AND {conditions.sql} {tail}"  # noqa: S608
        return sql, params

    def _arrays(self, sql: str, conditions: Conditions, params: dict[str, Any]) -> np.ndarray:
        """Run a query of two integer columns straight into an array (no Row objects)."""
        result = self._run(sql, conditions, params)
        rows = result.cursor.fetchall() if result.cursor is not None else []
        flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows))
        return flat.reshape(-1, 2)

    def grouped_codes(self, conditions: Conditions) -> np.ndarray:
        """Every facet code with how many stories carry it: rows of (code, count)."""
        sql, params = self._select(
            "d.facet_code, COUNT(*)", (), conditions, "GROUP BY d.facet_code"
        )
        return self._arrays(sql, conditions, params)

    def matching_codes(self, terms: tuple[Term, ...], conditions: Conditions) -> np.ndarray:
        """Every matching story with its facet code: rows of (story id, code)."""
        sql, params = self._select("d.story_id, d.facet_code", terms, conditions)
        return self._arrays(sql, conditions, params)

    def ranked_ids(
        self,
        terms: tuple[Term, ...],
        conditions: Conditions,
        limit: int,
        offset: int,
        candidates: list[int],
    ) -> list[int]:
        """Return one page of the candidates (matching story ids), best first.

        This default scores from the full-text index, every filter applied again, among ids
        from the lowest candidate up; a backend may rank the candidate ids directly.
        """
        tail = "ORDER BY {score}, d.story_id DESC LIMIT :limit OFFSET :offset"
        rowid = self._match(terms).rowid
        conditions = Conditions(
            [*conditions.clauses, f"{rowid} >= :rank_cutoff"],
            {**conditions.params, "rank_cutoff": min(candidates, default=0)},
            set(conditions.expanding),
        )
        sql, params = self._select("d.story_id", terms, conditions, tail, score=True)
        extra = {**params, "limit": limit, "offset": offset}
        return [row[0] for row in self._run(sql, conditions, extra)]

    def dated_ids(
        self,
        terms: tuple[Term, ...],
        conditions: Conditions,
        newest: bool,
        limit: int,
        offset: int,
    ) -> list[int]:
        """Return one page of matching story ids by approval date."""
        order = "DESC" if newest else "ASC"
        tail = f"ORDER BY d.approved_on {order}, d.story_id {order} LIMIT :limit OFFSET :offset"
        sql, params = self._select("d.story_id", terms, conditions, tail)
        extra = {**params, "limit": limit, "offset": offset}
        return [row[0] for row in self._run(sql, conditions, extra)]

    def grouped_counts(
        self, terms: tuple[Term, ...], conditions: Conditions, groups: tuple[str, ...]
    ) -> list[tuple[Any, ...]]:
        """Count matching stories grouped by named columns (see `GROUPS`): rows of the
        group values followed by the count."""
        columns = ", ".join(self.group_sql(name) for name in groups)
        sql, params = self._select(f"{columns}, COUNT(*)", terms, conditions, f"GROUP BY {columns}")
        return [tuple(row) for row in self._run(sql, conditions, params)]

    def group_sql(self, name: str) -> str:
        """The fixed SQL of one group name; anything else is refused."""
        if name not in GROUPS:
            raise ValueError(f"cannot group search documents by {name!r}")
        return GROUPS[name]

    def matching_ids(
        self, terms: tuple[Term, ...], conditions: Conditions, batch: int = 2000
    ) -> Iterator[list[int]]:
        """Yield every matching story id, in batches, oldest story first (for exports)."""
        tail = "AND d.story_id > :after ORDER BY d.story_id LIMIT :batch"
        sql, params = self._select("d.story_id", terms, conditions, tail)
        after = 0
        while True:
            extra = {**params, "after": after, "batch": batch}
            ids = [row[0] for row in self._run(sql, conditions, extra)]
            if not ids:
                return
            yield ids
            after = ids[-1]
