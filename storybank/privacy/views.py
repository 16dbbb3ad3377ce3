"""Thin views for a story's consent: narrow it, or withdraw it (which erases the story)."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response

from storybank.core.errors import InvalidInput
from storybank.core.forms import show_error_on_form
from storybank.core.web import HOME_BY_ROLE
from storybank.privacy import policy
from storybank.privacy import services
from storybank.privacy.forms import ConsentForm
from storybank.privacy.forms import WithdrawForm

bp = Blueprint("privacy", __name__, url_prefix="/stories")

Page = Response | str | tuple[str, int]


@bp.app_context_processor
def consent_helpers() -> dict[str, object]:
    """Let the story page offer the consent page to those who may use it."""

    def can_change_consent(story) -> bool:
        return policy.can_change_consent(current_user, story)

    return {"can_change_consent": can_change_consent}


def _page(story, form: ConsentForm, withdraw: WithdrawForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "privacy/consent.html", story=story, form=form, withdraw=withdraw
    ), status


@bp.route("/<story:story_id>/consent", methods=["GET", "POST"])
@login_required
def consent(story_id: int) -> Page:
    """Show the story's consent and narrow it."""
    story = services.consent_story(current_user, story_id)
    form = ConsentForm(obj=story.current_consent)
    if not form.validate_on_submit():
        return _page(story, form, WithdrawForm(), 400 if form.is_submitted() else 200)
    try:
        services.change_consent(current_user, story_id, form.to_uses())
    except InvalidInput as error:
        show_error_on_form(form, error)
        return _page(story, form, WithdrawForm(), error.status)
    flash("Consent changed. The story has stopped being used for anything now unticked.")
    return redirect(url_for("stories.detail", story_id=story_id))


@bp.route("/<story:story_id>/withdraw", methods=["POST"])
@login_required
def withdraw(story_id: int) -> Page:
    """Withdraw consent after the confirmation tick: the story is erased."""
    story = services.consent_story(current_user, story_id)
    form = WithdrawForm()
    try:
        services.withdraw_consent(
            current_user, story_id, form.validate_on_submit() and bool(form.confirm.data)
        )
    except InvalidInput as error:
        show_error_on_form(form, error)
        # This POST holds only the tick; read from it, every use would show unticked.
        consent = ConsentForm(formdata=None, obj=story.current_consent)
        return _page(story, consent, form, error.status)
    flash("Consent withdrawn. The story and everything made from it have been erased.")
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "home")))
