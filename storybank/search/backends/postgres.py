"""PostgreSQL full-text search: a generated tsvector column with a GIN index.

The table keeps its rows narrow (`toast_tuple_target`), so counting tens of thousands of
matches through the GIN index reads little. With current statistics (autovacuum's ANALYZE)
the planner takes the index for every word measured, even one in 30% of stories.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy import text

from storybank.search.backends.base import Conditions
from storybank.search.backends.base import Match
from storybank.search.backends.base import SearchBackend
from storybank.search.query import Term

HEADLINE_OPTIONS = (
    'StartSel=\x02, StopSel=\x03, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
)


def ts_query(terms: tuple[Term, ...]) -> str:
    """Write the terms as to_tsquery input: every term must match."""
    parts = []
    for term in terms:
        if term.kind == "phrase":
            parts.append("(" + " <-> ".join(f"'{token}'" for token in term.tokens) + ")")
        elif term.kind == "prefix":
            parts.append(f"'{term.tokens[0]}':*")
        else:
            parts.append(f"'{term.tokens[0]}'")
    return " & ".join(parts)  # tokens hold letters and digits only, never quotes


class PostgresBackend(SearchBackend):
    """Research search on PostgreSQL."""

    name = "postgresql-tsvector"

    def group_sql(self, name: str) -> str:
        if name == "month":
            return "to_char(d.approved_on, 'YYYY-MM')"
        return super().group_sql(name)

    def _match(self, terms: tuple[Term, ...]) -> Match:
        where = "d.tsv @@ to_tsquery('english', :match)"
        return Match(
            filter=where,
            ranked_source="search_documents d",
            ranked_where=where,
            score="ts_rank(d.tsv, to_tsquery('english', :match)) DESC",
            rowid="d.story_id",
            params={"match": ts_query(terms)},
        )

    def ranked_ids(
        self,
        terms: tuple[Term, ...],
        conditions: Conditions,
        limit: int,
        offset: int,
        candidates: list[int],
    ) -> list[int]:
        # The candidates already passed every filter: score just them, by primary key, rather
        # than matching the word again across the whole index.
        statement = text(
            "SELECT d.story_id FROM search_documents d WHERE d.story_id = ANY(:ids) "
            "ORDER BY ts_rank(d.tsv, to_tsquery('english', :match)) DESC, d.story_id DESC "
            "LIMIT :limit OFFSET :offset"
        )
        rows = self.session.execute(
            statement,
            {"ids": candidates, "match": ts_query(terms), "limit": limit, "offset": offset},
        )
        return [row[0] for row in rows]

    def snippets(self, terms: tuple[Term, ...], story_ids: list[int]) -> dict[int, str]:
        if not story_ids:
            return {}
        statement = text(
            "SELECT d.story_id, ts_headline('english', d.body, "
            "to_tsquery('english', :match), :options) "
            "FROM search_documents d WHERE d.story_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        rows = self.session.execute(
            statement, {"match": ts_query(terms), "ids": story_ids, "options": HEADLINE_OPTIONS}
        )
        return {story_id: snippet for story_id, snippet in rows}
