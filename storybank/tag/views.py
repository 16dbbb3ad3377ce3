"""Thin views: deciding a story's themes, the codebook, exports and agreement."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from storybank.accounts.forms import EmptyForm
from storybank.core.errors import InvalidInput
from storybank.core.forms import show_error_on_form
from storybank.core.redirects import local_path
from storybank.tag import services
from storybank.tag.export import codebook_csv
from storybank.tag.export import codebook_qdc
from storybank.tag.forms import ThemeForm

bp = Blueprint("themes", __name__)

Page = Response | str | tuple[str, int]


@bp.route(
    "/stories/<story:story_id>/themes/<key>/<any(confirm, reject):decision>", methods=["POST"]
)
@login_required
def decide(story_id: int, key: str, decision: str) -> Response:
    """Confirm, add or reject a theme for a story."""
    if EmptyForm().validate_on_submit():
        services.decide_theme(current_user, story_id, key, decision == "confirm")
        flash("Theme confirmed." if decision == "confirm" else "Theme rejected.")
    fallback = url_for("stories.detail", story_id=story_id)
    return redirect(local_path(request.form.get("next"), fallback))


@bp.route("/admin/codebook", methods=["GET", "POST"])
@login_required
def codebook() -> Page:
    """The codebook's themes; add or change one (each change is a new version)."""
    form = ThemeForm()
    row = services.codebook_for(current_user)
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.save_theme(current_user, **form.to_fields())
        except InvalidInput as error:
            show_error_on_form(form, error)
        else:
            flash("Saved as a new codebook version. New suggestions use it.")
            return redirect(url_for("themes.codebook"))
    edit = request.args.get("edit")
    if request.method == "GET" and edit:
        theme = next((t for t in row.themes if t.key == edit), None)
        if theme is not None:
            form.fill_from(theme)
    return render_template(
        "tag/codebook.html",
        codebook=row,
        form=form,
        can_edit=services.policy.can_manage_codebook(current_user),
    )


@bp.route("/admin/codebook.csv")
@login_required
def codebook_as_csv() -> Response:
    """Download the codebook as CSV."""
    row = services.codebook_for(current_user)
    return Response(
        codebook_csv(row),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=storybank-codebook-v{row.version}.csv"
        },
    )


@bp.route("/admin/codebook.qdc")
@login_required
def codebook_as_qdc() -> Response:
    """Download the codebook as a REFI-QDA codebook."""
    row = services.codebook_for(current_user)
    return Response(
        codebook_qdc(row),
        mimetype="application/xml",
        headers={
            "Content-Disposition": f"attachment; filename=storybank-codebook-v{row.version}.qdc"
        },
    )


@bp.route("/admin/themes/agreement")
@login_required
def agreement() -> str:
    """Tagger against reviewers, per theme, and the tagger's model versions."""
    return render_template(
        "tag/agreement.html",
        rows=services.agreement(current_user),
        models=services.tagger_models(current_user),
        form=EmptyForm(),
    )


@bp.route("/admin/themes/train", methods=["POST"])
@login_required
def train() -> Response:
    """Retrain the tagger from reviewers' decisions: a new model version."""
    if EmptyForm().validate_on_submit():
        count, label = services.train_tagger(current_user)
        flash(f"Trained on {count} decision(s): the tag stage now uses {label}.")
    return redirect(url_for("themes.agreement"))
