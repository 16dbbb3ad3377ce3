"""Thin views for research exports: a download per format, the user's own exports, and for
admins, which exports held a story."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from storybank.accounts.forms import EmptyForm
from storybank.core.ids import story_id_from_public
from storybank.exports import background
from storybank.exports import jobs
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


@bp.record_once
def _register_output_task(state: BlueprintSetupState) -> None:
    """Register the output jobs' task on the app's queue, so that workers know it too."""
    jobs.init_app(state.app)


@bp.route("/export/<kind>", methods=["POST"])
@login_required
def start(kind: str) -> WerkzeugResponse:
    """Start an export of what the search finds in the background, and follow it."""
    services.export_kind(kind)
    services.require_export(current_user)
    if not EmptyForm().validate_on_submit():
        flash("The form had expired. Try again.")
        return redirect(url_for("research.search"))
    job = background.start_export(current_user, query_from_args(request.args), kind)
    return redirect(url_for("exports.job", job_id=job.id))


@bp.route("/exports/jobs/<int:job_id>")
@login_required
def job(job_id: int) -> str:
    """An export being made: its progress, then the download, or why it stopped and a retry."""
    found = background.get_export_job(current_user, job_id)
    return render_template(
        "exports/job.html", job=found, kind=services.KINDS[found.kind], form=EmptyForm()
    )


@bp.route("/exports/jobs/<int:job_id>.json")
@login_required
def job_progress(job_id: int) -> WerkzeugResponse:
    """The job's status and progress, for the page to poll. No text."""
    found = background.get_export_job(current_user, job_id)
    return jsonify(status=found.status, progress=found.progress)


@bp.route("/exports/jobs/<int:job_id>/retry", methods=["POST"])
@login_required
def retry(job_id: int) -> WerkzeugResponse:
    """Make an export that failed again."""
    if EmptyForm().validate_on_submit():
        background.retry_export(current_user, job_id)
    return redirect(url_for("exports.job", job_id=job_id))


@bp.route("/exports/jobs/<int:job_id>/file")
@login_required
def job_file(job_id: int) -> WerkzeugResponse:
    """Download a finished export, once its stories are checked again."""
    try:
        ready = background.download_export(current_user, job_id)
    except jobs.OutputFailed as error:
        flash(str(error))
        return redirect(url_for("exports.job", job_id=job_id))
    response = Response(ready.chunks, content_type=ready.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{ready.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/exports")
@login_required
def index() -> str:
    """The user's own exports."""
    return render_template(
        "exports/index.html",
        manifests=services.my_exports(current_user),
        jobs=background.my_export_jobs(current_user),
        kinds=services.KINDS,
        labels=jobs.STATUS_LABELS,
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
