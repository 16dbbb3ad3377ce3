"""What both backends share: filters as SQL, and every query that needs no words.

A backend adds only how words match (`_match`), how matches are scored, and snippets.
Filter values are always bound parameters; only fixed SQL is ever written into a query.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

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


@dataclass(frozen=True)
class Match:
    """How words match in one backend: a join, a condition and a score (lower is better)."""

    join: str
    where: str
    score: str
    params: dict[str, Any]


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
        if terms:
            match = self._match(terms)
            source, where, params = f"search_documents d {match.join}", match.where, match.params
            order = match.score
        else:
            source, where, params, order = "search_documents d", "1 = 1", {}, "d.story_id DESC"
        tail = tail.replace("{score}", order) if score else tail
        sql = f"SELECT {columns} FROM {source} WHERE {where} AND {conditions.sql} {tail}"  # noqa: S608
        return sql, params

    def facet_counts(
        self, terms: tuple[Term, ...], conditions: Conditions
    ) -> list[tuple[int, int]]:
        """Count matching stories per facet code, with only `conditions` applied."""
        sql, params = self._select(
            "d.facet_code, COUNT(*)", terms, conditions, "GROUP BY d.facet_code"
        )
        return [(key, count) for key, count in self._run(sql, conditions, params)]

    def newest_cutoff(
        self, terms: tuple[Term, ...], conditions: Conditions, cap: int
    ) -> int | None:
        """Return the lowest story id among the `cap` newest matches, or None if fewer match."""
        tail = "ORDER BY d.story_id DESC LIMIT 1 OFFSET :cap_offset"
        sql, params = self._select("d.story_id", terms, conditions, tail)
        return self._run(sql, conditions, {**params, "cap_offset": cap - 1}).scalar()

    def ranked_ids(
        self, terms: tuple[Term, ...], conditions: Conditions, limit: int, offset: int
    ) -> list[int]:
        """Return one page of matching story ids, best first."""
        tail = "ORDER BY {score}, d.story_id DESC LIMIT :limit OFFSET :offset"
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
