"""Thin views for the storyteller's check: the page, the two answers, the beeped recording."""

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

from storybank.check import services
from storybank.check.forms import AgreeForm
from storybank.check.forms import ChangesForm
from storybank.check.status import CheckStatus
from storybank.core.errors import InvalidInput
from storybank.core.forms import show_error_on_form
from storybank.stories.models import Story

bp = Blueprint("check", __name__, url_prefix="/stories")

Page = Response | str | tuple[str, int]


@bp.app_template_global("storyteller_check")
def storyteller_check(story: Story) -> CheckStatus | None:
    """The check's status, for the story and review pages (None for those who may not see it)."""
    return services.storyteller_answer(current_user, story)


def _page(story_id: int, changes_form: ChangesForm | None = None, status: int = 200) -> Page:
    page = services.show_storyteller_check(current_user, story_id)
    agree_form = AgreeForm(formdata=None, shown=page.status.stamp)
    changes_form = changes_form or ChangesForm(formdata=None, shown=page.status.stamp)
    return render_template(
        "check/check.html", page=page, agree_form=agree_form, changes_form=changes_form
    ), status


@bp.route("/<story:story_id>/check")
@login_required
def check(story_id: int) -> Page:
    """The anonymised story exactly as others will read and hear it, and the two answers."""
    return _page(story_id)


@bp.route("/<story:story_id>/check/agree", methods=["POST"])
@login_required
def agree(story_id: int) -> Response:
    """The storyteller has seen it and agrees."""
    form = AgreeForm()  # CSRF is checked for every POST (extensions.csrf)
    services.record_storyteller_agreement(current_user, story_id, form.shown.data or "")
    flash("Thank you. The storyteller's agreement is recorded; the reviewer can approve it.")
    return redirect(url_for("stories.detail", story_id=story_id))


@bp.route("/<story:story_id>/check/changes", methods=["POST"])
@login_required
def changes(story_id: int) -> Page:
    """The storyteller wants changes: back to the reviewer with the note."""
    form = ChangesForm()
    try:
        services.ask_storyteller_changes(
            current_user, story_id, form.shown.data or "", form.note.data or ""
        )
    except InvalidInput as error:
        show_error_on_form(form, error)
        return _page(story_id, changes_form=form, status=400)
    flash("Sent back to the reviewer with the storyteller's note. You will check it again.")
    return redirect(url_for("stories.detail", story_id=story_id))


@bp.route("/<story:story_id>/check/audio")
@login_required
def audio(story_id: int) -> Response:
    """The beeped recording, for the reporter to play to the storyteller (audited)."""
    key = services.open_storyteller_check_audio(current_user, story_id, request.remote_addr)
    storage = current_app.extensions["storybank_storage"]
    source = storage.direct_path(key) or storage.open(key)
    response = send_file(source, mimetype="audio/wav", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global("can_show_storyteller_check")
def can_show_storyteller_check(story: Story) -> bool:
    """Whether the story page offers this user the check (its reporter, during review)."""
    return services.offers_storyteller_check(current_user, story)
