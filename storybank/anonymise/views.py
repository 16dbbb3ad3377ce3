"""Thin views: redaction review and sign-off, redacted audio, and the admins' lists."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response

from storybank.accounts.forms import EmptyForm
from storybank.anonymise import services
from storybank.anonymise.forms import AddRedactionForm
from storybank.anonymise.forms import ListEntryForm
from storybank.core.errors import InvalidInput
from storybank.core.forms import show_error_on_form

bp = Blueprint("anonymise", __name__)

Page = Response | str | tuple[str, int]


@bp.route("/review/<int:story_id>/redactions")
@login_required
def review(story_id: int) -> str:
    """The story with every redaction highlighted, unsure ones first."""
    found = services.review_redactions(current_user, story_id)
    return render_template(
        "anonymise/review.html",
        review=found,
        add_form=AddRedactionForm(),
        form=EmptyForm(),
        labels=services.LABEL_NAMES,
    )


@bp.route(
    "/review/<int:story_id>/redactions/<int:redaction_id>/<any(accept, reject):decision>",
    methods=["POST"],
)
@login_required
def decide(story_id: int, redaction_id: int, decision: str) -> Response:
    """Accept or reject one redaction."""
    if EmptyForm().validate_on_submit():
        services.decide_redaction(current_user, story_id, redaction_id, decision == "accept")
    return redirect(url_for("anonymise.review", story_id=story_id) + f"#r{redaction_id}")


@bp.route("/review/<int:story_id>/redactions/add", methods=["POST"])
@login_required
def add(story_id: int) -> Response:
    """Hide a selected passage, or every occurrence of a typed phrase."""
    form = AddRedactionForm()
    if form.validate_on_submit():
        try:
            if form.start.data is not None and form.end.data is not None:
                services.add_redaction(
                    current_user, story_id, form.start.data, form.end.data, form.label.data or ""
                )
                flash("Redaction added.")
            else:
                count = services.add_redaction_for_phrase(
                    current_user, story_id, form.phrase.data or "", form.label.data or ""
                )
                flash(f"Redacted {count} place{'s' if count != 1 else ''} in the story.")
        except InvalidInput as error:
            flash(error.message)
    return redirect(url_for("anonymise.review", story_id=story_id))


@bp.route("/review/<int:story_id>/redactions/sign-off", methods=["POST"])
@login_required
def sign_off(story_id: int) -> Response:
    """Sign the redactions off."""
    if EmptyForm().validate_on_submit():
        anonymisation = services.sign_off(current_user, story_id)
        if anonymisation.audio_problem:
            flash(anonymisation.audio_problem)
        flash("Redactions signed off. You can approve the story now.")
    return redirect(url_for("review.review", story_id=story_id))


@bp.route("/stories/<int:story_id>/audio/redacted")
@login_required
def redacted_audio(story_id: int) -> Response:
    """The redacted recording, for those the consent allows."""
    key = services.redacted_audio_key(current_user, story_id)
    storage = current_app.extensions["storybank_storage"]
    source = storage.direct_path(key) or storage.open(key)
    response = send_file(source, mimetype="audio/wav", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/identifier-lists", methods=["GET", "POST"])
@login_required
def lists() -> Page:
    """Prisons, courts and local places to redact, and roles and services to keep."""
    form = ListEntryForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.add_entry(current_user, form.kind.data or "", form.value.data or "")
        except InvalidInput as error:
            show_error_on_form(form, error)
        else:
            flash("Added. New stories use it; retry anonymisation to apply it to others.")
            return redirect(url_for("anonymise.lists"))
    return render_template(
        "anonymise/lists.html",
        entries=services.list_entries(current_user),
        form=form,
        remove_form=EmptyForm(),
    )


@bp.route("/admin/identifier-lists/<int:entry_id>/remove", methods=["POST"])
@login_required
def remove(entry_id: int) -> Response:
    """Remove a list entry."""
    if EmptyForm().validate_on_submit():
        services.remove_entry(current_user, entry_id)
        flash("Removed.")
    return redirect(url_for("anonymise.lists"))
