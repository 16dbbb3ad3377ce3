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
from storybank.anonymise import audio_review
from storybank.anonymise import lists as identifier_lists
from storybank.anonymise import services
from storybank.anonymise.forms import LABEL_CHOICES
from storybank.anonymise.forms import AddRedactionForm
from storybank.anonymise.forms import HideStretchForm
from storybank.anonymise.forms import HideWordsForm
from storybank.anonymise.forms import ListEntryForm
from storybank.anonymise.forms import RelabelForm
from storybank.core.errors import InvalidInput
from storybank.core.forms import show_error_on_form
from storybank.transcribe.timing import UNSURE_WORD_BELOW

bp = Blueprint("anonymise", __name__)

Page = Response | str | tuple[str, int]


@bp.route("/review/<story:story_id>/redactions")
@login_required
def review(story_id: int) -> str:
    """The story with every redaction highlighted, unsure ones first; for a recording, its
    transcript with unclear words flagged and the stretches hidden by hand."""
    return _review_page(story_id)[0]


def _review_page(
    story_id: int,
    hide_form: HideStretchForm | None = None,
    words_form: HideWordsForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    found = services.review_redactions(current_user, story_id)
    page = render_template(
        "anonymise/review.html",
        review=found,
        add_form=AddRedactionForm(),
        relabel_form=RelabelForm(),
        hide_form=hide_form or HideStretchForm(formdata=None),
        words_form=words_form or HideWordsForm(formdata=None),
        form=EmptyForm(),
        labels=services.LABEL_NAMES,
        label_choices=LABEL_CHOICES,
        unsure_word_below=UNSURE_WORD_BELOW,
    )
    return page, status


def _back_to_review(story_id: int, anchor: str) -> Response:
    return redirect(url_for("anonymise.review", story_id=story_id) + anchor)


@bp.route(
    "/review/<story:story_id>/redactions/<int:redaction_id>/<any(accept, reject):decision>",
    methods=["POST"],
)
@login_required
def decide(story_id: int, redaction_id: int, decision: str) -> Response:
    """Accept or reject one redaction."""
    if EmptyForm().validate_on_submit():
        services.decide_redaction(current_user, story_id, redaction_id, decision == "accept")
    return redirect(url_for("anonymise.review", story_id=story_id) + f"#r{redaction_id}")


@bp.route("/review/<story:story_id>/redactions/<int:redaction_id>/label", methods=["POST"])
@login_required
def relabel(story_id: int, redaction_id: int) -> Response:
    """Change what kind of identifier a redaction is; its placeholder follows."""
    form = RelabelForm()
    if form.validate_on_submit():
        try:
            count = services.relabel_redaction(
                current_user, story_id, redaction_id, form.label.data or ""
            )
        except InvalidInput as error:
            flash(error.message)
        else:
            label = services.LABEL_NAMES[form.label.data or ""]
            others = (
                f" and {count - 1} other mention{'s' if count > 2 else ''}" if count > 1 else ""
            )
            flash(f"Relabelled as {label}{others}; hidden.")
    return _back_to_review(story_id, f"#r{redaction_id}")


@bp.route("/review/<story:story_id>/audio/hide", methods=["POST"])
@login_required
def hide_stretch(story_id: int) -> Page:
    """Hide a stretch of the recording given by its start and end times."""
    form = HideStretchForm()  # CSRF is checked for every POST (extensions.csrf)
    try:
        audio_review.hide_audio_stretch(
            current_user, story_id, form.start.data or "", form.end.data or ""
        )
    except InvalidInput as error:
        show_error_on_form(form, error)
        return _review_page(story_id, hide_form=form, status=400)
    flash("That stretch of the recording will be beeped in the released copy.")
    return _back_to_review(story_id, "#hidden-stretches")


@bp.route("/review/<story:story_id>/audio/hide-words", methods=["POST"])
@login_required
def hide_words(story_id: int) -> Page:
    """Hide the stretch of the recording under chosen transcript words."""
    form = HideWordsForm()  # a word that is not a number reads as none chosen
    try:
        audio_review.hide_audio_words(
            current_user, story_id, form.from_word.data, form.to_word.data
        )
    except InvalidInput as error:
        show_error_on_form(form, error)
        return _review_page(story_id, words_form=form, status=400)
    flash("Those words will be beeped in the released copy of the recording.")
    return _back_to_review(story_id, "#hidden-stretches")


@bp.route("/review/<story:story_id>/audio/hides/<int:hide_id>/remove", methods=["POST"])
@login_required
def remove_hide(story_id: int, hide_id: int) -> Response:
    """Let a hidden stretch be heard again."""
    if EmptyForm().validate_on_submit():
        audio_review.remove_audio_hide(current_user, story_id, hide_id)
        flash("That stretch will be heard again. Sign off again when you are done.")
    return _back_to_review(story_id, "#hidden-stretches")


@bp.route("/review/<story:story_id>/redactions/add", methods=["POST"])
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


@bp.route("/review/<story:story_id>/redactions/sign-off", methods=["POST"])
@login_required
def sign_off(story_id: int) -> Response:
    """Sign the redactions off."""
    if EmptyForm().validate_on_submit():
        anonymisation = services.sign_off(current_user, story_id)
        if anonymisation.audio_problem:
            flash(anonymisation.audio_problem)
        flash("Redactions signed off. See below whether the storyteller still has to check it.")
    return redirect(url_for("review.review", story_id=story_id))


@bp.route("/stories/<story:story_id>/audio/redacted")
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
            identifier_lists.add_entry(current_user, form.kind.data or "", form.value.data or "")
        except InvalidInput as error:
            show_error_on_form(form, error)
        else:
            flash("Added. New stories use it; retry anonymisation to apply it to others.")
            return redirect(url_for("anonymise.lists"))
    return render_template(
        "anonymise/lists.html",
        entries=identifier_lists.list_entries(current_user),
        form=form,
        remove_form=EmptyForm(),
    )


@bp.route("/admin/identifier-lists/<int:entry_id>/remove", methods=["POST"])
@login_required
def remove(entry_id: int) -> Response:
    """Remove a list entry."""
    if EmptyForm().validate_on_submit():
        identifier_lists.remove_entry(current_user, entry_id)
        flash("Removed.")
    return redirect(url_for("anonymise.lists"))
