"""Web plumbing shared by every area: error pages, the home redirect, template helpers."""

from __future__ import annotations

from flask import Flask
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from storybank.core.authz import Role
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound

HOME_BY_ROLE = {
    Role.REPORTER.value: "stories.mine",
    Role.FACILITATOR.value: "review.queue",
    Role.RESEARCHER.value: "research.search",
    Role.ADMIN.value: "admin.users",
}


def _error_page(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template("errors/error.html", title=title, message=message), status


def home() -> Response:
    """Send each person to the page their role starts from."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "auth.login")))


def favicon() -> Response:
    """Browsers and feed readers ask for /favicon.ico whatever the page links to."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


def init_app(app: Flask) -> None:
    """Register the home page, error handlers and template globals."""
    app.add_url_rule("/", "home", home)
    app.add_url_rule("/favicon.ico", "favicon", favicon)

    @app.errorhandler(NotFound)
    def not_found(_error: NotFound) -> tuple[str, int]:
        return _error_page("Not found", "There is nothing here, or you cannot see it.", 404)

    @app.errorhandler(NotAllowed)
    def not_allowed(error: NotAllowed) -> tuple[str, int]:
        message = str(error) or "You do not have permission to do that."
        return _error_page("Not allowed", message, 403)

    @app.errorhandler(InvalidInput)
    def invalid_input(error: InvalidInput) -> tuple[str, int]:
        # Views show a form's problems on the form; this catches the rest (a link that no
        # longer fits, say) with the service's own words instead of a server error.
        return _error_page("That cannot be done", error.message, error.status)

    @app.errorhandler(Conflict)
    def conflict(error: Conflict) -> tuple[str, int]:
        return _error_page("That cannot be done now", str(error), 409)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> tuple[str, int]:
        app.logger.warning("CSRF refused: %s", _error.description)
        return _error_page(
            "The form could not be accepted",
            "The form had expired or did not come from this site, so nothing was saved. Go "
            "back, reload the page, and submit it again.",
            400,
        )

    @app.errorhandler(413)
    def too_large(_error: HTTPException) -> tuple[str, int]:
        limit_mb = app.config["MAX_AUDIO_BYTES"] // (1024 * 1024)
        return _error_page(
            "The upload is too large",
            f"The largest file Storybank accepts is {limit_mb} MB. Nothing was saved. Split the "
            "recording, or ask an admin to raise the limit.",
            413,
        )

    @app.errorhandler(429)
    def too_many(_error: HTTPException) -> tuple[str, int]:
        return _error_page(
            "Too many attempts",
            "There have been too many attempts in a short time. Wait a minute and try again.",
            429,
        )

    @app.errorhandler(404)
    def http_not_found(_error: HTTPException) -> tuple[str, int]:
        return _error_page("Not found", "There is nothing here, or you cannot see it.", 404)

    @app.context_processor
    def navigation() -> dict[str, object]:
        return {"Role": Role}
