"""Log in and log out."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from werkzeug.wrappers import Response

from storybank.accounts import services
from storybank.accounts.forms import EmptyForm
from storybank.accounts.forms import LoginForm
from storybank.accounts.models import User
from storybank.extensions import limiter
from storybank.extensions import login_manager

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to continue."
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Find the user of a live, unrevoked login session."""
    return services.load_session_user(session_token)


def _login_limit() -> str:
    return f"{current_app.config['LOGIN_ATTEMPTS_PER_MINUTE']} per minute"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    """Show the login form and log people in."""
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        if user is not None:
            session.clear()
            services.start_session(user)
            login_user(user)
            return redirect(url_for("home"))
        form.form_errors.append("That email and password do not match an active account.")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


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
