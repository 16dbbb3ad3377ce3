"""Sign in (password, then a code from an authenticator app), set up two-step sign-in, log out."""

from __future__ import annotations

import time

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from werkzeug.wrappers import Response

from storybank.accounts import services
from storybank.accounts import twofactor
from storybank.accounts.forms import CodeForm
from storybank.accounts.forms import EmptyForm
from storybank.accounts.forms import LoginForm
from storybank.accounts.models import User
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.extensions import db
from storybank.extensions import limiter
from storybank.extensions import login_manager

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to continue."
login_manager.session_protection = "basic"

Page = Response | str | tuple[str, int]
# The password step is remembered (in the signed cookie) for this long, without any access.
_PENDING_KEY = "pending_second_factor"
_PENDING_SECONDS = 10 * 60


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Find the user of a live, unrevoked login session."""
    return services.load_session_user(session_token)


def _login_limit() -> str:
    return f"{current_app.config['LOGIN_ATTEMPTS_PER_MINUTE']} per minute"


def _pending_user() -> User | None:
    """The user who passed the password step in this browser a moment ago, if any."""
    pending = session.get(_PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > _PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user_id"))
    return user if user is not None and user.is_active else None


def _finish_login(user: User) -> None:
    """Open the server-side session: only now does the browser get access."""
    session.clear()
    services.clear_login_failures(user)
    services.start_session(user)
    login_user(user)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Page:
    """Show the login form; a right password leads to the second step, never straight in."""
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        except services.LoginDelayed as delayed:
            form.form_errors.append(delayed.message)
            return render_template("auth/login.html", form=form), 429
        if user is None:
            form.form_errors.append("That email and password do not match an active account.")
            return render_template("auth/login.html", form=form), 401
        session.clear()
        if not services.needs_second_factor(user):
            _finish_login(user)
            return redirect(url_for("home"))
        session[_PENDING_KEY] = {"user_id": user.id, "at": time.time()}
        if twofactor.has_two_factor(user):
            return redirect(url_for("auth.second_factor"))
        return redirect(url_for("auth.enrol"))
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor() -> Page:
    """The second step: a code from the authenticator app, or a recovery code."""
    user = _pending_user()
    if user is None:
        flash("Start again with your email and password.")
        return redirect(url_for("auth.login"))
    if not twofactor.has_two_factor(user):
        return redirect(url_for("auth.enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            services.check_login_delay(user)
        except services.LoginDelayed as delayed:
            form.form_errors.append(delayed.message)
            return render_template("auth/code.html", form=form), 429
        if twofactor.check_second_factor(user, form.code.data or "", request.remote_addr):
            _finish_login(user)
            left = twofactor.count_unused_recovery_codes(user)
            if left < 3:
                flash(
                    f"You have {left} recovery codes left. Ask an admin to reset two-step sign-in."
                )
            return redirect(url_for("home"))
        services.record_login_failure(user, request.remote_addr)
        db.session.commit()
        form.form_errors.append(
            "That code did not work. Type the 6 digits your app shows now (each code works "
            "once), or one of your recovery codes."
        )
        return render_template("auth/code.html", form=form), 401
    return render_template("auth/code.html", form=form)


def _enrolling_user() -> User | None:
    """Someone who must set up two-step sign-in now, or a signed-in reporter who chose to."""
    if current_user.is_authenticated:
        return db.session.get(User, current_user.id)
    return _pending_user()


@bp.route("/login/set-up", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def enrol() -> Page:
    """Set up the authenticator app: show its secret and QR code, confirm with a code."""
    user = _enrolling_user()
    if user is None:
        flash("Start again with your email and password.")
        return redirect(url_for("auth.login"))
    try:
        secret = twofactor.begin_enrolment(user)
    except Conflict:
        return redirect(url_for("home" if current_user.is_authenticated else "auth.second_factor"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_enrolment(user, form.code.data or "", request.remote_addr)
        except InvalidInput as error:
            form.code.errors = [error.message]
            status = 400
        else:
            if not current_user.is_authenticated:
                _finish_login(user)
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = twofactor.provisioning_uri(user)
    return render_template(
        "auth/enrol.html",
        form=form,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr_code=twofactor.qr_code_data_uri(uri),
    ), status


@bp.route("/account/two-step")
@login_required
def two_step() -> str:
    """Whether this account uses two-step sign-in, and how many recovery codes are left."""
    user = db.session.get(User, current_user.id)
    return render_template(
        "auth/two_step.html",
        enabled=twofactor.has_two_factor(user),
        codes_left=twofactor.count_unused_recovery_codes(user),
    )


@bp.route("/admin/users/<int:user_id>/two-step/reset", methods=["POST"])
@login_required
def reset_two_step(user_id: int) -> Response:
    """An admin clears a user's authenticator app and recovery codes."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    twofactor.reset_two_factor(current_user, user_id)
    flash("Two-step sign-in was reset. They set it up again when they next sign in.")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End the login session on the server, so a copied cookie stops working too."""
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        services.end_session(current_user.session_token, request.remote_addr)
    logout_user()
    session.clear()
    flash("You have logged out.")
    return redirect(url_for("auth.login"))
