"""Thin views for research search: one page with words, filters, facets and results."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from werkzeug.routing import BuildError

from storybank.core.errors import InvalidInput
from storybank.search.params import query_from_args
from storybank.search.params import query_string
from storybank.search.query import SearchQuery
from storybank.search.services import require_search
from storybank.search.services import search_stories

bp = Blueprint("research", __name__, url_prefix="/research")

EXPORT_KINDS = (
    ("stories_csv", "Stories (CSV)"),
    ("excerpts_csv", "Coded excerpts (CSV)"),
    ("matrix_csv", "Stories by theme, 0 or 1 (CSV)"),
    ("json", "Stories and excerpts (JSON)"),
    ("qdpx", "QualCoder or NVivo project (.qdpx)"),
)


def _link(endpoint: str, query: SearchQuery, **values: str) -> str | None:
    """A link to another research page with the same search, if that page exists."""
    try:
        base = url_for(endpoint, **values)
    except BuildError:
        return None
    params = query_string(query)
    return f"{base}?{params}" if params else base


@bp.route("/")
@login_required
def search() -> tuple[str, int] | str:
    """Search the stories whose consent allows research."""
    require_search(current_user)
    error = None
    try:
        query = query_from_args(request.args)
    except InvalidInput as problem:
        error, query = problem.message, SearchQuery()
    results = search_stories(current_user, query)
    exports = [
        (label, link)
        for kind, label in EXPORT_KINDS
        if (link := _link("exports.download", query, kind=kind))
    ]
    page = render_template(
        "research/search.html",
        results=results,
        query=query,
        error=error,
        page_link=lambda number: f"{request.path}?{query_string(query, page=str(number))}",
        charts_link=_link("charts.index", query),
        filtered=any((query.themes, query.site_ids, query.voices, query.story_types, query.sources))
        or bool(query.lengths),
        exports=exports,
        threshold=current_app.config["SMALL_COUNT_THRESHOLD"],
    )
    return (page, 400) if error else page
