"""Account actions: create users, log in and out, change roles. Each checks its policy."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from flask import current_app
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from storybank.accounts.models import AuthSession
from storybank.accounts.models import LoginThrottle
from storybank.accounts.models import User
from storybank.accounts.policy import ROLES_REQUIRING_TWO_FACTOR
from storybank.accounts.policy import check_manage_users
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.authz import Role
from storybank.core.db import utcnow
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.extensions import db

MIN_PASSWORD_LENGTH = 10
# How stale `last_seen_at` may get before it is written again: small next to the idle limit.
_SEEN_WRITE_INTERVAL = timedelta(minutes=1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# How long the count of wrong attempts is kept for an address with no account.
_UNKNOWN_ADDRESS_MEMORY = timedelta(days=1)


# argon2id at OWASP's first listed setting (46 MiB, one pass, one lane). argon2-cffi's default
# (64 MiB, three passes, four lanes) took about 0.47 s a sign-in on these two-core machines, and
# 20 people signing in at once queued behind it; this takes about 0.06 s, and its memory cost
# still makes guessing on a GPU slow. Hashes made with other settings are redone at next sign-in.
PASSWORD_HASHING = {"time_cost": 1, "memory_cost": 47104, "parallelism": 1}


def _hasher() -> PasswordHasher:
    # Tests use cheaper parameters still.
    if current_app.config.get("FAST_PASSWORD_HASHING"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher(**PASSWORD_HASHING)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher().hash(password)


# Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_UNKNOWN_USER_HASH: dict[bool, str] = {}


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, or raise InvalidInput."""
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput("Enter an email address like name@example.org.", field="email")
    return email


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to be safe."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )


def parse_role(role: str) -> Role:
    """Return the Role for a name, or raise InvalidInput listing the roles."""
    try:
        return Role(role)
    except ValueError as error:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Choose a role: {names}.", field="role") from error


def create_user(
    actor: User | None,
    *,
    email: str,
    role: str,
    password: str,
    display_name: str = "",
) -> User:
    """Create a user. `actor` None means the command line, run by whoever owns the machine."""
    if actor is not None:
        check_manage_users(actor)
    email = normalise_email(email)
    parsed_role = parse_role(role)
    check_password_strength(password)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvalidInput("There is already an account with that email address.", field="email")
    user = User(
        email=email,
        role=parsed_role.value,
        display_name=(display_name or "").strip()[:120] or email.split("@")[0],
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    record_event(
        AuditAction.USER_CREATED,
        actor_id=actor.id if actor else None,
        target_type="user",
        target_id=user.id,
        email=email,
        role=parsed_role.value,
    )
    db.session.commit()
    return user


def count_users() -> int:
    """Return how many accounts exist."""
    return db.session.scalar(select(func.count(User.id))) or 0


class LoginDelayed(Exception):
    """Too many wrong attempts for one account: it waits a while before the next one."""

    def __init__(self, seconds: int) -> None:
        minutes = max(1, -(-seconds // 60))
        wait = "a minute" if minutes == 1 else f"{minutes} minutes"
        self.seconds = seconds
        self.message = (
            "There have been too many wrong attempts to sign in to this account, so it is "
            f"paused for a short while. Try again in {wait}. If it was not you, tell an admin."
        )
        super().__init__(self.message)


def check_login_delay(holder: User | LoginThrottle, now: datetime | None = None) -> None:
    """Raise LoginDelayed while the account (or address) waits after repeated failures."""
    now = now or utcnow()
    if holder.locked_until is not None and holder.locked_until > now:
        raise LoginDelayed(int((holder.locked_until - now).total_seconds()) + 1)


def _count_failure(holder: User | LoginThrottle, now: datetime) -> bool:
    """Count one wrong attempt; past the free ones, set a doubling, capped wait. True if set."""
    config = current_app.config
    holder.failed_logins = (holder.failed_logins or 0) + 1
    over = holder.failed_logins - config["LOGIN_FAILURES_BEFORE_DELAY"]
    if over < 0:
        return False
    seconds = min(
        config["LOGIN_DELAY_SECONDS"] * 2 ** min(over, 20), config["LOGIN_DELAY_MAX_SECONDS"]
    )
    holder.locked_until = now + timedelta(seconds=seconds)
    return True


def record_login_failure(user: User, remote_addr: str | None, now: datetime | None = None) -> None:
    """Count a wrong password or code; past the free attempts, the account waits, doubling.

    The wait is capped (LOGIN_DELAY_MAX_SECONDS), so nobody can lock an account for good,
    and attempts made during a wait are refused without being counted.
    """
    if _count_failure(user, now or utcnow()):
        record_event(
            AuditAction.LOGIN_DELAYED,
            actor_id=user.id,
            target_type="user",
            target_id=user.id,
            remote_addr=remote_addr,
            count=user.failed_logins,
        )


def _throttle_key(email: str) -> str:
    """A keyed hash of an address, so the throttle table holds no addresses."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"login-throttle:" + email.encode(), hashlib.sha256).hexdigest()


def _unknown_address(email: str) -> LoginThrottle:
    """The wrong-attempt count of an address with no account (a new, unsaved one if none)."""
    key = _throttle_key(email)
    return db.session.get(LoginThrottle, key) or LoginThrottle(key=key, failed_logins=0)


def _record_unknown_failure(throttle: LoginThrottle, now: datetime) -> None:
    """Count a wrong attempt for an address with no account, just as for an account."""
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_failed_at < now - _UNKNOWN_ADDRESS_MEMORY)
    )
    try:
        with db.session.begin_nested():  # two first failures at once: the second counts on
            _count_failure(throttle, now)
            throttle.last_failed_at = now
            db.session.merge(throttle)
    except IntegrityError:
        saved = db.session.get(LoginThrottle, throttle.key, populate_existing=True)
        if saved is not None:
            _count_failure(saved, now)
            saved.last_failed_at = now


def clear_login_failures(user: User) -> None:
    """A full sign-in resets the count of wrong attempts."""
    user.failed_logins = 0
    user.locked_until = None


def authenticate(email: str, password: str, remote_addr: str | None = None) -> User | None:
    """Return the active user with these credentials, auditing success and failure.

    Raises LoginDelayed, before the password is checked, while the account is waiting.
    The password step alone opens no session: see `needs_second_factor`.
    """
    try:
        email = normalise_email(email)
    except InvalidInput:
        # Not an email: perhaps a password typed in the wrong box, so it is never logged.
        email = ""
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    # An address with no account waits exactly as an account would, so a wait reveals nothing.
    holder = user if user is not None else (_unknown_address(email) if email else None)
    if holder is not None:
        check_login_delay(holder)
    if user is None:
        fast = bool(current_app.config.get("FAST_PASSWORD_HASHING"))
        if fast not in _UNKNOWN_USER_HASH:
            _UNKNOWN_USER_HASH[fast] = hash_password(secrets.token_hex(16))
        _verify(_UNKNOWN_USER_HASH[fast], password)
        ok = False
    else:
        ok = _verify(user.password_hash, password) and user.is_active
    if not ok:
        record_event(
            AuditAction.LOGIN_FAILED,
            actor_id=user.id if user else None,
            target_type="user",
            target_id=user.id if user else None,
            remote_addr=remote_addr,
            email=email or "(not an email address)",
        )
        if user is not None:
            record_login_failure(user, remote_addr)
        elif isinstance(holder, LoginThrottle):
            _record_unknown_failure(holder, utcnow())
        db.session.commit()
        return None
    assert user is not None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not needs_second_factor(user):
        clear_login_failures(user)
    user.last_login_at = utcnow()
    record_event(
        AuditAction.LOGIN,
        actor_id=user.id,
        target_type="user",
        target_id=user.id,
        remote_addr=remote_addr,
    )
    db.session.commit()
    return user


def needs_second_factor(user: User) -> bool:
    """Whether the password step must be followed by a code (or by setting one up)."""
    return user.role in ROLES_REQUIRING_TWO_FACTOR or user.totp_enabled_at is not None


def _session_limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (
        timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        timedelta(hours=config["SESSION_MAX_HOURS"]),
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Open a server-side login session and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        AuthSession(
            user_id=user.id, token_hash=_token_hash(token), created_at=now, last_seen_at=now
        )
    )
    db.session.commit()
    user.session_token = token
    return token


def load_session_user(token: str | None) -> User | None:
    """Return the user of a live session token, or None if it was revoked or expired."""
    if not token:
        return None
    session = db.session.scalar(
        select(AuthSession).where(AuthSession.token_hash == _token_hash(token))
    )
    if session is None or session.revoked_at is not None:
        return None
    now = utcnow()
    idle_limit, max_age = _session_limits()
    expired = now - session.created_at > max_age or now - session.last_seen_at > idle_limit
    user = session.user
    # A session of a role that needs a second factor, without one, grants nothing (sessions
    # from before two-step sign-in, or after an admin's reset).
    unsecured = user.role in ROLES_REQUIRING_TWO_FACTOR and user.totp_enabled_at is None
    if expired or unsecured or not user.is_active:
        session.revoked_at = session.revoked_at or now
        db.session.commit()
        return None
    if now - session.last_seen_at > _SEEN_WRITE_INTERVAL:
        session.last_seen_at = now
        db.session.commit()
    user.session_token = token
    return user


def end_session(token: str | None, remote_addr: str | None = None) -> None:
    """Revoke a session so that a copied cookie stops working."""
    if not token:
        return
    session = db.session.scalar(
        select(AuthSession).where(AuthSession.token_hash == _token_hash(token))
    )
    if session is None or session.revoked_at is not None:
        return
    session.revoked_at = utcnow()
    record_event(
        AuditAction.LOGOUT,
        actor_id=session.user_id,
        target_type="user",
        target_id=session.user_id,
        remote_addr=remote_addr,
    )
    db.session.commit()


def revoke_all_sessions(user_id: int) -> None:
    """End every open session of a user."""
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def list_users(actor: User) -> list[User]:
    """Return every account, for admins."""
    check_manage_users(actor)
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


def get_user(actor: User, user_id: int) -> User:
    """Return one account, for admins."""
    check_manage_users(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound
    return user


def _count_active_admins() -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(User.role == Role.ADMIN.value, User.is_active)
        )
        or 0
    )


def change_role(actor: User, user_id: int, role: str) -> User:
    """Give a user another role; their sessions end so the new rights apply at once."""
    user = get_user(actor, user_id)
    new_role = parse_role(role)
    if user.role == new_role.value:
        return user
    if user.role == Role.ADMIN.value and user.is_active and _count_active_admins() <= 1:
        raise Conflict("This is the last admin. Make someone else an admin first.")
    old_role = user.role
    user.role = new_role.value
    revoke_all_sessions(user.id)
    record_event(
        AuditAction.USER_ROLE_CHANGED,
        actor_id=actor.id,
        target_type="user",
        target_id=user.id,
        old_role=old_role,
        new_role=new_role.value,
    )
    db.session.commit()
    return user


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate (ending every session) or reactivate an account."""
    user = get_user(actor, user_id)
    if user.is_active == active:
        return user
    if not active and user.role == Role.ADMIN.value and _count_active_admins() <= 1:
        raise Conflict("This is the last admin. Make someone else an admin first.")
    user.is_active = active
    if not active:
        revoke_all_sessions(user.id)
    record_event(
        AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED,
        actor_id=actor.id,
        target_type="user",
        target_id=user.id,
    )
    db.session.commit()
    return user


def reset_password(actor: User, user_id: int, password: str) -> User:
    """Set a new password for a user and end their sessions."""
    user = get_user(actor, user_id)
    check_password_strength(password)
    user.password_hash = hash_password(password)
    revoke_all_sessions(user.id)
    record_event(
        AuditAction.USER_PASSWORD_RESET, actor_id=actor.id, target_type="user", target_id=user.id
    )
    db.session.commit()
    return user
