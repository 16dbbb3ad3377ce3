"""Thin views for research exports: a download per format, the user's own exports, and for
admins, which exports held a story."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask import stream_with_context
from flask_login import current_user
from flask_login import login_required

from storybank.core.ids import story_id_from_public
from storybank.exports import services
from storybank.search.params import query_from_args

bp = Blueprint("exports", __name__, url_prefix="/research")


@bp.route("/export/<kind>")
@login_required
def download(kind: str) -> Response:
    """Stream the stories the search finds in one format; the manifest is written first."""
    services.export_kind(kind)
    services.require_export(current_user)
    prepared = services.export_stories(current_user, query_from_args(request.args), kind)
    response = Response(
        stream_with_context(prepared.chunks), content_type=prepared.kind.content_type
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{prepared.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/exports")
@login_required
def index() -> str:
    """The user's own exports."""
    return render_template(
        "exports/index.html", manifests=services.my_exports(current_user), kinds=services.KINDS
    )


@bp.route("/exports/holding")
@login_required
def holding() -> str | tuple[str, int]:
    """For admins: which exports held a story (it may have been erased since), and who made them."""
    services.require_holdings(current_user)
    raw = (request.args.get("story") or "").strip()
    story_id = story_id_from_public(raw.lower()) if raw else None
    holdings = services.exports_holding(current_user, story_id) if story_id else []
    page = render_template("exports/holding.html", story_id=story_id, raw=raw, holdings=holdings)
    return (page, 400) if raw and story_id is None else page
