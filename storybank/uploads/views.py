"""The tus endpoints: thin translations between HTTP headers and the upload service.

Answers are short plain text (never a page), so that the browser's tus client can show them.
CSRF applies as everywhere: the client sends the page's token in X-CSRFToken.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import request
from flask import url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.uploads import services
from storybank.uploads import tus

bp = Blueprint("uploads", __name__, url_prefix="/uploads")


def _answer(status: int, message: str = "", headers: dict[str, str] | None = None) -> Response:
    response = Response(message, status=status, mimetype="text/plain")
    response.headers["Tus-Resumable"] = tus.VERSION
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(tus.ProtocolError)
def protocol_error(error: tus.ProtocolError) -> Response:
    """A broken rule of the protocol, in its own status and words."""
    return _answer(error.status, error.message, error.headers)


@bp.errorhandler(CSRFError)
def csrf_refused(_error: CSRFError) -> Response:
    """The page's token was missing or old: plain words the page can show, not an HTML page."""
    return _answer(400, "The page had expired. Reload it; the recording is kept on this phone.")


@bp.errorhandler(NotFound)
def not_found(_error: NotFound) -> Response:
    """Not this person's upload, expired, or never there."""
    return _answer(404, "There is no such upload, or it has expired.")


@bp.errorhandler(InvalidInput)
def refused(error: InvalidInput) -> Response:
    """A rule of the service (too many unfinished uploads, say)."""
    return _answer(error.status, error.message)


@bp.before_request
def require_sign_in() -> Response | None:
    """Speak tus, not pages: a signed-out client is told so instead of sent to the login form."""
    if request.method != "OPTIONS" and not current_user.is_authenticated:
        return _answer(401, "Your sign-in has ended. Sign in again; the recording is kept.")
    if request.method != "OPTIONS":
        tus.check_version(request.headers)
    return None


@bp.route("/", methods=["OPTIONS"])
def capabilities() -> Response:
    """What this server supports (tus discovery)."""
    return _answer(204, headers=tus.options_headers(current_app.config["MAX_AUDIO_BYTES"]))


@bp.route("/", methods=["POST"])
def create() -> Response:
    """Open an upload of the declared length (tus creation)."""
    length = tus.upload_length(request.headers, current_app.config["MAX_AUDIO_BYTES"])
    upload = services.open_upload(current_user, length)
    headers = tus.offset_headers(upload.offset, upload.length, upload.expires_at)
    headers["Location"] = url_for("uploads.status", upload_id=upload.id)
    return _answer(201, headers=headers)


@bp.route("/<upload_id>", methods=["HEAD"])
def status(upload_id: str) -> Response:
    """How many bytes have arrived, so that the client carries on from there."""
    upload = services.find_upload(current_user, upload_id)
    return _answer(200, headers=tus.offset_headers(upload.offset, upload.length, upload.expires_at))


@bp.route("/<upload_id>", methods=["PATCH"])
def append(upload_id: str) -> Response:
    """Take the next chunk."""
    offset = tus.chunk_offset(request.headers)
    upload = services.find_upload(current_user, upload_id)
    if offset != upload.offset:
        raise tus.ProtocolError(409, f"The upload is at byte {upload.offset}, not {offset}.")
    remaining = upload.length - offset
    size = tus.chunk_length(request.content_length, remaining, services.MAX_CHUNK_BYTES)
    upload = services.append_chunk(current_user, upload_id, offset, request.stream, size)
    return _answer(204, headers=tus.offset_headers(upload.offset, upload.length, upload.expires_at))


@bp.route("/<upload_id>", methods=["DELETE"])
def cancel(upload_id: str) -> Response:
    """Throw the upload away (tus termination)."""
    services.cancel_upload(current_user, upload_id)
    return _answer(204)
