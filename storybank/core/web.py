"""Web plumbing shared by every area: error pages, the home redirect, template helpers."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.wrappers import Response

from storybank.core.authz import Role
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.errors import StorageFull
from storybank.core.ids import public_story_id
from storybank.core.ids import story_label
from storybank.extensions import db

HOME_BY_ROLE = {
    Role.REPORTER.value: "stories.mine",
    Role.FACILITATOR.value: "review.queue",
    Role.RESEARCHER.value: "research.search",
    Role.ADMIN.value: "admin.users",
}


def _error_page(title: str, message: str, status: int) -> ResponseReturnValue:
    try:
        return render_template("errors/error.html", title=title, message=message), status
    except DBAPIError as error:
        # The page shows who is signed in, which needs the database: say that it is down.
        if not is_database_lost(error):
            raise
        return database_down_page(error)


# Seconds a client is asked to wait before trying again after a database or disk fault.
RETRY_AFTER_SECONDS = 60

DATABASE_DOWN_TITLE = "Storybank cannot reach its database just now"
DATABASE_DOWN_READ = (
    "This page could not be shown, because Storybank cannot reach its database just now. "
    "Nothing has been changed or lost. Please try again in a minute."
)
# A form sent while the database stops may or may not have been saved: the change is kept only
# if the database took it before it stopped. Saying so is the truthful answer.
DATABASE_DOWN_WRITE = (
    "What you just sent may not have been saved: Storybank lost its database while handling it. "
    "Everything saved before now is safe. Please wait a minute, then go back and check whether "
    "your change is there before sending it again (sending the same new story twice is safe: "
    "it is kept once)."
)


def database_down_page(error: DBAPIError) -> tuple[Response | str, int, dict[str, str]]:
    """Answer a lost database with 503 and Retry-After, as a plain page or as API JSON."""
    # The error's own text quotes the SQL and its parameters, which can hold story text: log
    # only where it happened and the driver's error type.
    current_app.logger.error(
        "database unavailable during %s %s: %s",
        request.method,
        request.endpoint,
        type(error.orig).__name__ if error.orig is not None else type(error).__name__,
    )
    with contextlib.suppress(Exception):  # the rollback may itself fail on a dead connection
        db.session.rollback()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    writing = request.method not in ("GET", "HEAD", "OPTIONS")
    paragraphs = [DATABASE_DOWN_WRITE if writing else DATABASE_DOWN_READ]
    if request.path.startswith("/api/"):
        body = {"status": 503, "message": f"{DATABASE_DOWN_TITLE}. {paragraphs[0]}"}
        return jsonify({"error": body}), 503, headers
    # Rendered without the context processors: Flask-Login's loads the signed-in user, which
    # needs the database that is down.
    template = current_app.jinja_env.get_template("errors/unavailable.html")
    page = template.render(title=DATABASE_DOWN_TITLE, paragraphs=paragraphs, retry=request.path)
    return page, 503, headers


def is_database_lost(error: DBAPIError) -> bool:
    """Whether a database error means the database is unreachable (not a bad query)."""
    return isinstance(error, OperationalError) or bool(error.connection_invalidated)


class DatabaseErrorHidden(Exception):
    """Stands in, in a log, for a database error whose text could quote stored values."""


class HideDatabaseDetail(logging.Filter):
    """Log a database error by its type only: its text (PostgreSQL's DETAIL, a failing row)
    can quote the values it was given, story text or emails among them. Parameters are already
    hidden by `hide_parameters`; this covers what the server says back."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, StatementError):
            cause = error.orig if error.orig is not None else error
            hidden = DatabaseErrorHidden(f"{type(cause).__name__} (its text is not logged)")
            record.exc_info = (DatabaseErrorHidden, hidden, record.exc_info[2])  # type: ignore[index]
            record.exc_text = None
        return True


def register_fault_handlers(app: Flask) -> None:
    """Answer faults of the server (database gone, disk full) with a page a person can act on."""
    app.logger.addFilter(HideDatabaseDetail())

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> tuple[Response | str, int, dict[str, str]]:
        if not is_database_lost(error):
            raise error  # a bug, not an outage: the ordinary 500
        return database_down_page(error)

    @app.errorhandler(500)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        # A database lost while another error page was drawn, or in an after-request hook.
        lost = error.original_exception
        if isinstance(lost, DBAPIError) and is_database_lost(lost):
            return database_down_page(lost)
        return error

    @app.errorhandler(StorageFull)
    def storage_full(error: StorageFull) -> ResponseReturnValue:
        # Forms catch this and show it on the form; this is for any other place that stores.
        app.logger.error("storage full during %s %s", request.method, request.endpoint)
        return _error_page("The server has run out of space", error.message, 507)


def home() -> Response:
    """Send each person to the page their role starts from."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "auth.login")))


def favicon() -> Response:
    """Browsers and feed readers ask for /favicon.ico whatever the page links to."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


def refuse_nul_characters() -> None:
    """Refuse a request whose fields or query hold a NUL: no one types one, and PostgreSQL
    cannot store or even compare it, so it would otherwise end as a server error."""
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise InvalidInput(
                    "Something sent with the form held a hidden NUL character, which cannot be "
                    "saved. Nothing was saved. Type the text again, or paste it as plain text."
                )


def init_app(app: Flask) -> None:
    """Register the home page, error handlers and template globals."""
    app.add_url_rule("/", "home", home)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.before_request(refuse_nul_characters)
    register_fault_handlers(app)

    @app.errorhandler(NotFound)
    def not_found(_error: NotFound) -> ResponseReturnValue:
        return _error_page("Not found", "There is nothing here, or you cannot see it.", 404)

    @app.errorhandler(NotAllowed)
    def not_allowed(error: NotAllowed) -> ResponseReturnValue:
        message = str(error) or "You do not have permission to do that."
        return _error_page("Not allowed", message, 403)

    @app.errorhandler(InvalidInput)
    def invalid_input(error: InvalidInput) -> ResponseReturnValue:
        # Views show a form's problems on the form; this catches the rest (a link that no
        # longer fits, say) with the service's own words instead of a server error.
        return _error_page("That cannot be done", error.message, error.status)

    @app.errorhandler(Conflict)
    def conflict(error: Conflict) -> ResponseReturnValue:
        return _error_page("That cannot be done now", str(error), 409)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> ResponseReturnValue:
        app.logger.warning("CSRF refused: %s", _error.description)
        return _error_page(
            "The form could not be accepted",
            "The form had expired or did not come from this site, so nothing was saved. Go "
            "back, reload the page, and submit it again.",
            400,
        )

    @app.errorhandler(413)
    def too_large(_error: HTTPException) -> ResponseReturnValue:
        limit_mb = app.config["MAX_AUDIO_BYTES"] // (1024 * 1024)
        return _error_page(
            "The upload is too large",
            f"The largest file Storybank accepts is {limit_mb} MB. Nothing was saved. Split the "
            "recording, or ask an admin to raise the limit.",
            413,
        )

    @app.errorhandler(429)
    def too_many(_error: HTTPException) -> ResponseReturnValue:
        return _error_page(
            "Too many attempts",
            "There have been too many attempts in a short time. Wait a minute and try again.",
            429,
        )

    @app.errorhandler(404)
    def http_not_found(_error: HTTPException) -> ResponseReturnValue:
        return _error_page("Not found", "There is nothing here, or you cannot see it.", 404)

    app.add_template_global(story_label)
    app.add_template_global(public_story_id)

    @app.context_processor
    def navigation() -> dict[str, object]:
        return {"Role": Role}
