"""API tokens: create (the secret is returned once), list, revoke, and check a bearer secret.

A secret is `sb_` and 32 random bytes (URL-safe base64). Only its SHA-256 is stored, with
a short prefix so that people can tell their tokens apart; a lost secret cannot be shown
again, only revoked and replaced.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.api import policy
from storybank.api.models import ApiToken
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.extensions import db

SECRET_PREFIX = "sb_"  # noqa: S105 - the public prefix of every secret, not a secret
PREFIX_CHARS = 8  # "sb_" and five more: enough to tell tokens apart, far too few to guess
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_NAME = 80
LAST_USED_INTERVAL = timedelta(minutes=1)


class TokenRefused(Exception):
    """The bearer secret is missing, malformed, unknown, expired or revoked (always a 401)."""


@dataclass(frozen=True)
class NewToken:
    """A token just created, with its secret: the only time the secret exists outside a hash."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    """Return the hex SHA-256 of a secret, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def require_api_user(actor: User | None) -> None:
    """Raise NotAllowed unless the user may hold tokens and read the API."""
    if not policy.can_use_api(actor):
        raise NotAllowed("API tokens are for researchers.")


def _check_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(
            "Give the token a name, such as the project or machine it is for.", "name"
        )
    if len(name) > MAX_NAME:
        raise InvalidInput(f"Keep the name to {MAX_NAME} characters.", "name")
    return name


def _check_days(days: int | None) -> int:
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"A token lasts from 1 to {MAX_DAYS} days.", "days")
    return days


def create_token(actor: User | None, name: str | None, days: int | None = None) -> NewToken:
    """Create a token for the actor; return it with its secret, which is never stored."""
    require_api_user(actor)
    assert actor is not None
    name, days = _check_name(name), _check_days(days)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=actor.id,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:PREFIX_CHARS],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record_event(
        AuditAction.API_TOKEN_CREATED,
        actor_id=actor.id,
        target_type="api_token",
        target_id=token.id,
        days=days,
    )
    db.session.commit()
    return NewToken(token, secret)


def list_tokens(actor: User | None) -> list[ApiToken]:
    """Return the actor's own tokens, newest first (revoked and expired ones too)."""
    require_api_user(actor)
    assert actor is not None
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(actor: User | None, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; another person's token is not found."""
    require_api_user(actor)
    assert actor is not None
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(
            AuditAction.API_TOKEN_REVOKED,
            actor_id=actor.id,
            target_type="api_token",
            target_id=token.id,
        )
        db.session.commit()
    return token


def authenticate_secret(secret: str | None) -> ApiToken:
    """Return the live token for a bearer secret, noting its use; raise TokenRefused if none.

    The owner's role is not checked here: a live token whose owner may not use the API is
    refused by the API's own policy check (403), so the owner can be told why.
    """
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        raise TokenRefused("The token is missing or malformed.")
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    now = utcnow()
    if token is None or not token.is_live(now) or not token.user.is_active:
        raise TokenRefused("The token is unknown, expired or revoked.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_INTERVAL:
        token.last_used_at = now
        db.session.commit()
    return token
