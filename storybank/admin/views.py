"""Thin admin views over the account, story and audit services."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField

from storybank.accounts import services as accounts
from storybank.accounts.forms import EmptyForm
from storybank.accounts.forms import NewUserForm
from storybank.accounts.forms import PasswordResetForm
from storybank.accounts.forms import RoleForm
from storybank.admin import services as admin
from storybank.core import audit
from storybank.core.errors import InvalidInput
from storybank.core.forms import show_error_on_form
from storybank.stories import services as stories
from storybank.stories.queries import StoryFilters

bp = Blueprint("admin", __name__, url_prefix="/admin")

Page = Response | str | tuple[str, int]


class SiteForm(FlaskForm):
    """A new site's name."""

    name = StringField("Site name")


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users() -> Page:
    """List accounts and create one."""
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                current_user,
                email=form.email.data or "",
                role=form.role.data or "",
                password=form.password.data or "",
                display_name=form.display_name.data or "",
            )
        except InvalidInput as error:
            show_error_on_form(form, error)
            status = 400
        else:
            flash(f"Account created for {user.email}. Give them their first password privately.")
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "admin/users.html", users=accounts.list_users(current_user), form=form
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int) -> Page:
    """Change one account's role, password or whether it is active."""
    target = accounts.get_user(current_user, user_id)
    role_form = RoleForm(prefix="role", role=target.role)
    password_form = PasswordResetForm(prefix="password")
    toggle_form = EmptyForm(prefix="toggle")
    if request.method == "POST":
        try:
            if "role-role" in request.form and role_form.validate_on_submit():
                accounts.change_role(current_user, user_id, role_form.role.data or "")
                flash("Role changed. Their sessions have ended so the change applies at once.")
            elif "password-password" in request.form and password_form.validate_on_submit():
                accounts.reset_password(current_user, user_id, password_form.password.data or "")
                flash("Password changed. Their sessions have ended.")
            elif toggle_form.validate_on_submit():
                accounts.set_user_active(current_user, user_id, not target.is_active)
                flash("Account updated.")
        except InvalidInput as error:
            flash(error.message)
        return redirect(url_for("admin.user", user_id=user_id))
    return render_template(
        "admin/user.html",
        target=target,
        role_form=role_form,
        password_form=password_form,
        toggle_form=toggle_form,
    )


@bp.route("/sites", methods=["GET", "POST"])
@login_required
def sites() -> Page:
    """List and add sites."""
    sites = admin.list_all_sites(current_user)
    form = SiteForm()
    if form.validate_on_submit():
        try:
            stories.create_site(current_user, form.name.data or "")
        except InvalidInput as error:
            show_error_on_form(form, error)
        else:
            flash("Site added.")
            return redirect(url_for("admin.sites"))
    return render_template("admin/sites.html", sites=sites, form=form)


@bp.route("/audit")
@login_required
def audit_log() -> str:
    """The newest audit events."""
    found = admin.list_audit_events(current_user, request.args.get("action"))
    return render_template(
        "admin/audit.html",
        events=found.events,
        user_names=found.user_names,
        actions=list(audit.AuditAction),
    )


def _number(value: str | None) -> int | None:
    """A query-string number, or None when it is missing or not a number."""
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@bp.route("/stories")
@login_required
def stories_list() -> str:
    """Every story, filtered by status, site, reporter and consent, a page at a time."""
    filters = StoryFilters(
        status=request.args.get("status", ""),
        site_id=_number(request.args.get("site")),
        reporter_id=_number(request.args.get("reporter")),
        consent=request.args.get("consent", ""),
    )
    screen = admin.list_all_stories(current_user, filters, _number(request.args.get("page")) or 1)
    return render_template("admin/stories.html", screen=screen)
