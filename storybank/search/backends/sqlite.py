"""SQLite FTS5: an external-content index over search_documents, kept in step by triggers.

The porter stemmer makes "trusted" find "trust", as PostgreSQL's English configuration does.
Each word goes to FTS5 as a quoted string, so nothing typed can be read as FTS5 syntax.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy import text

from storybank.search.backends.base import Match
from storybank.search.backends.base import SearchBackend
from storybank.search.query import Term

SNIPPET_TOKENS = 28


def fts_query(terms: tuple[Term, ...]) -> str:
    """Write the terms as an FTS5 query: every term must match."""
    parts = []
    for term in terms:
        quoted = '"' + " ".join(term.tokens) + '"'  # tokens hold letters and digits only
        parts.append(quoted + " *" if term.kind == "prefix" else quoted)
    return " ".join(parts)


class SqliteBackend(SearchBackend):
    """Research search on SQLite's FTS5."""

    name = "sqlite-fts5"

    def _match(self, terms: tuple[Term, ...]) -> Match:
        # Counting reads the index's rowids once (IN); ranking starts from the index, so
        # that bm25 and a rowid cutoff are worked out inside FTS5.
        return Match(
            filter="d.story_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :match)",
            ranked_source="search_fts JOIN search_documents d ON d.story_id = search_fts.rowid",
            ranked_where="search_fts MATCH :match",
            score="bm25(search_fts)",
            rowid="search_fts.rowid",
            params={"match": fts_query(terms)},
            # Each match is looked up in the narrow (story, code, date) index, not the wide
            # rows that hold the text: counting 30,000 matches reads a few MB, not hundreds.
            filter_source="search_documents d INDEXED BY ix_search_documents_codes",
        )

    def snippets(self, terms: tuple[Term, ...], story_ids: list[int]) -> dict[int, str]:
        if not story_ids:
            return {}
        statement = text(
            "SELECT rowid, snippet(search_fts, 0, char(2), char(3), '…', :tokens) "
            "FROM search_fts WHERE search_fts MATCH :match AND rowid IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        rows = self.session.execute(
            statement, {"match": fts_query(terms), "ids": story_ids, "tokens": SNIPPET_TOKENS}
        )
        return {story_id: snippet for story_id, snippet in rows}
