"""The research API under /api/v1/: JSON only, opened by a bearer token and nothing else.

No cookie is read here: the login session is never consulted, so a browser that is logged in
but sends no token gets a 401, and CSRF (an attack through cookies) cannot apply. Each token
has its own rate limit (`API_RATE_LIMIT`).
"""

from __future__ import annotations

import hashlib

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from storybank.api import params
from storybank.api import services
from storybank.api.openapi import openapi_document
from storybank.api.tokens import TokenRefused
from storybank.api.tokens import authenticate_secret
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.ids import story_id_from_public
from storybank.extensions import csrf
from storybank.extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api.openapi"}
ALLOWED_METHODS = "GET, HEAD, OPTIONS"


def _bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _rate_key() -> str:
    """Count each token's requests apart; requests without one count by address."""
    secret = _bearer_secret()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()
    return "api-addr:" + (get_remote_address() or "")


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


# One budget per token across every endpoint (a shared scope, not one per route).
limiter.shared_limit(_rate_limit, scope="research-api", key_func=_rate_key)(bp)


def _json_error(status: int, message: str, **extra: object) -> ResponseReturnValue:
    response = jsonify({"error": {"status": status, "message": message, **extra}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="storybank"'
    return response


@bp.before_request
def authenticate() -> ResponseReturnValue | None:
    """Find the token's owner from the Authorization header, or answer 401."""
    if request.method == "OPTIONS":  # what may be sent here: nothing but reads
        return Response(status=204, headers={"Allow": ALLOWED_METHODS})
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    try:
        token = authenticate_secret(_bearer_secret())
    except TokenRefused as refused:
        return _json_error(401, str(refused) + " Send Authorization: Bearer <token>.")
    g.api_token_id = token.id
    g.api_user = token.user
    return None


# The parameters each endpoint takes; any other is a 400 (after the token check).
_PARAMS = {"api.stories": params.SEARCH_PARAMS, "api.theme_counts": params.FILTERS}


@bp.before_request
def refuse_unknown_parameters() -> None:
    """A misspelt filter would otherwise be ignored and answer for every story."""
    if request.method in {"GET", "HEAD"}:  # other methods are a 405 whatever they carry
        params.check_args(request.args, _PARAMS.get(request.endpoint or "", ()))


@bp.errorhandler(TokenRefused)
def token_refused(error: TokenRefused) -> ResponseReturnValue:
    return _json_error(401, str(error))


@bp.errorhandler(NotFound)
def not_found(_error: NotFound) -> ResponseReturnValue:
    return _json_error(404, "There is nothing here, or you cannot see it.")


@bp.errorhandler(NotAllowed)
def not_allowed(error: NotAllowed) -> ResponseReturnValue:
    return _json_error(403, str(error) or "You do not have permission to do that.")


@bp.errorhandler(InvalidInput)
def invalid_input(error: InvalidInput) -> ResponseReturnValue:
    return _json_error(400, error.message, field=error.field)


def http_error(error: HTTPException) -> ResponseReturnValue:
    """Any HTTP error in the API as JSON (the app's own handlers answer with HTML pages)."""
    status = error.code or 500
    if status == 429:
        return _json_error(429, f"Too many requests: this token may make {_rate_limit()}.")
    return _json_error(status, error.description or error.name)


# By code as well as by class: Flask prefers the app's handler for a code to a blueprint's
# handler for the class, so each code the app answers with a page is claimed here.
for _code in (HTTPException, 400, 404, 405, 413, 429, 500):
    bp.register_error_handler(_code, http_error)


@bp.route("/stories")
def stories() -> ResponseReturnValue:
    """Search the stories."""
    return jsonify(services.search(g.api_user, request.args))


@bp.route("/stories/<public_id>")
def story(public_id: str) -> ResponseReturnValue:
    """One story's anonymised text and attributes, named by its public id."""
    # Decoded here rather than by the `story` converter, so that a bad id is this blueprint's
    # JSON 404 (a routing failure has no blueprint).
    story_id = story_id_from_public(public_id)
    if story_id is None:
        raise NotFound
    return jsonify(services.story(g.api_user, story_id, g.api_token_id))


@bp.route("/codebook")
def codebook() -> ResponseReturnValue:
    """The current codebook."""
    return jsonify(services.codebook(g.api_user))


@bp.route("/themes/counts")
def theme_counts() -> ResponseReturnValue:
    """Stories per theme for the filters, with small counts suppressed."""
    return jsonify(services.theme_counts(g.api_user, request.args))


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI document describing this API (needs no token)."""
    return jsonify(openapi_document())


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str) -> ResponseReturnValue:
    """Any other path or method under the API answers in JSON: the API only reads."""
    if request.method != "GET":
        response = _json_error(405, "The research API only reads: use GET.")
        response.headers["Allow"] = ALLOWED_METHODS
        return response
    raise NotFound
