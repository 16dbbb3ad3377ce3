"""Thin views for research charts: one page of four charts, and each chart as an SVG file."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from werkzeug.routing import BuildError

from storybank.charts.services import CHARTS
from storybank.charts.services import PERIODS
from storybank.charts.services import chart_data
from storybank.charts.services import chart_svg
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.search.params import query_from_args
from storybank.search.params import query_string
from storybank.search.query import SearchQuery
from storybank.search.services import require_search

bp = Blueprint("charts", __name__, url_prefix="/research/charts")


def _period() -> str:
    period = request.args.get("period") or "quarter"
    return period if period in PERIODS else "quarter"


def _search_link(query: SearchQuery) -> str:
    try:
        base = url_for("research.search")
    except BuildError:  # search not registered in this app
        base = "/research/"
    params = query_string(query)
    return f"{base}?{params}" if params else base


@bp.route("")
@login_required
def index() -> str | tuple[str, int]:
    """Every chart of the stories a search finds, each with its table."""
    require_search(current_user)
    error = None
    try:
        query = query_from_args(request.args)
    except InvalidInput as problem:
        error, query = problem.message, SearchQuery()
    period = _period()
    data = chart_data(current_user, query, period)
    params = query_string(query)
    page = render_template(
        "charts/index.html",
        data=data,
        charts=CHARTS,
        error=error,
        search_link=_search_link(query),
        query_params=params,
        download=lambda name: (
            url_for("charts.download", name=name) + "?" + query_string(query, period=period)
        ),
        period_link=lambda value: url_for("charts.index") + "?" + query_string(query, period=value),
    )
    return (page, 400) if error else page


@bp.route("/<name>.svg")
@login_required
def download(name: str) -> Response:
    """One chart as an SVG file, to save or print."""
    require_search(current_user)
    if name not in CHARTS:
        raise NotFound
    svg = chart_svg(current_user, query_from_args(request.args), name, _period())
    return Response(
        '<?xml version="1.0" encoding="utf-8"?>\n' + svg,
        mimetype="image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="storybank-{name}.svg"'},
    )
