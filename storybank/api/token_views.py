"""Thin views for a researcher's API tokens: list, create (the secret shown once), revoke."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response

from storybank.accounts.forms import EmptyForm
from storybank.api import tokens
from storybank.api.forms import NewTokenForm
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.forms import show_error_on_form

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


def _page(form: NewTokenForm, new: tokens.NewToken | None = None, status: int = 200):
    return render_template(
        "api/tokens.html",
        tokens=tokens.list_tokens(current_user),
        form=form,
        revoke=EmptyForm(),
        new=new,
        now=utcnow(),
    ), status


@bp.route("", methods=["GET"])
@login_required
def index():
    """The user's tokens, and the form for a new one."""
    return _page(NewTokenForm())


@bp.route("", methods=["POST"])
@login_required
def create():
    """Create a token and show its secret on this response only (never in a URL or flash)."""
    tokens.require_api_user(current_user)
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        new = tokens.create_token(current_user, form.name.data, form.days.data)
    except InvalidInput as error:
        show_error_on_form(form, error)
        return _page(form, status=error.status)
    return _page(NewTokenForm(formdata=None), new=new, status=201)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int) -> Response:
    """Revoke one of the user's tokens."""
    tokens.require_api_user(current_user)
    if EmptyForm().validate_on_submit():
        token = tokens.revoke_token(current_user, token_id)
        flash(f"Token {token.prefix}… revoked: it no longer opens the API.")
    return redirect(url_for("api_tokens.index"))
