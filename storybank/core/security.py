"""Response headers that keep pages private and inert."""

from __future__ import annotations

from flask import Flask
from flask import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)

PERMISSIONS_POLICY = "camera=(), geolocation=(), microphone=(self)"


def add_security_headers(response: Response) -> Response:
    """Forbid inline scripts, framing, sniffing, referrers and caching of private pages."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    # The microphone is for recording a story on the new-story page, from this site only.
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if not response.headers.get("Cache-Control"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    app.after_request(add_security_headers)
