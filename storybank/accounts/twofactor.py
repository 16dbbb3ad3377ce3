"""The second factor: TOTP enrolment and checks, one-time recovery codes, an admin's reset."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import update
from sqlalchemy.orm.attributes import flag_modified

from storybank.accounts.models import RecoveryCode
from storybank.accounts.models import User
from storybank.accounts.policy import ROLES_REQUIRING_TWO_FACTOR
from storybank.accounts.policy import check_manage_users
from storybank.accounts.services import revoke_all_sessions
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.db import utcnow
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.extensions import db

ISSUER = "Storybank"
RECOVERY_CODE_COUNT = 10
_STEP_SECONDS = 30
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def requires_two_factor(user: User) -> bool:
    """Facilitators, researchers and admins must use a second factor; reporters may."""
    return user.role in ROLES_REQUIRING_TWO_FACTOR


def has_two_factor(user: User) -> bool:
    """Whether the user has confirmed an authenticator app."""
    return user.totp_enabled_at is not None


def begin_enrolment(user: User) -> str:
    """Give the user a TOTP secret to confirm (the same one until they do) and return it."""
    if has_two_factor(user):
        raise Conflict("Two-step sign-in is already set up for this account.")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    assert user.totp_secret
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows data: images, and no inline markup)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is."""
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // _STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * _STEP_SECONDS), code):
            return step
    return None


def _use_step(user: User, step: int) -> bool:
    """Record a code's step, atomically, unless it or a later one was already used."""
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _check_totp(user: User, code: str, now: datetime) -> bool:
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is None or not _use_step(user, step):
        return False
    flag_modified(user, "totp_secret")  # written again, so a secret stored in clear gets sealed
    return True


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    """Lower-case, without the spaces and dashes people type or copy."""
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    """Spend one unused recovery code of this user, atomically."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones and return them, to be shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw)))
    return codes


def confirm_enrolment(
    user: User, code: str, remote_addr: str | None = None, now: datetime | None = None
) -> list[str]:
    """Turn two-step sign-in on once a code from the app matches; return the recovery codes."""
    if has_two_factor(user):
        raise Conflict("Two-step sign-in is already set up for this account.")
    now = now or utcnow()
    code = normalise_code(code)
    if not (code.isdigit() and len(code) == 6 and _check_totp(user, code, now)):
        db.session.rollback()
        raise InvalidInput(
            "That code does not match. Type the 6 digits your app shows now.", field="code"
        )
    user.totp_enabled_at = now
    codes = _new_recovery_codes(user)
    record_event(
        AuditAction.TWO_FACTOR_ENROLLED,
        actor_id=user.id,
        target_type="user",
        target_id=user.id,
        remote_addr=remote_addr,
    )
    db.session.commit()
    return codes


def check_second_factor(
    user: User, code: str, remote_addr: str | None = None, now: datetime | None = None
) -> bool:
    """Accept a current app code (each only once) or an unused recovery code, auditing both."""
    now = now or utcnow()
    code = normalise_code(code)
    if not has_two_factor(user) or not code:
        ok, recovery = False, False
    elif code.isdigit() and len(code) == 6:
        ok, recovery = _check_totp(user, code, now), False
    else:
        ok = recovery = _use_recovery_code(user, code, now)
    if ok and recovery:
        left = count_unused_recovery_codes(user)
        record_event(
            AuditAction.RECOVERY_CODE_USED,
            actor_id=user.id,
            target_type="user",
            target_id=user.id,
            remote_addr=remote_addr,
            count=left,
        )
    record_event(
        AuditAction.TWO_FACTOR_PASSED if ok else AuditAction.TWO_FACTOR_FAILED,
        actor_id=user.id,
        target_type="user",
        target_id=user.id,
        remote_addr=remote_addr,
    )
    db.session.commit()
    return ok


def _unused_codes(user: User) -> list[RecoveryCode]:
    return list(
        db.session.scalars(
            db.select(RecoveryCode).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
    )


def count_unused_recovery_codes(user: User) -> int:
    """How many recovery codes the user has left."""
    return len(_unused_codes(user))


def reset_two_factor(actor: User | None, user_id: int) -> User:
    """Clear a user's app and recovery codes and end their sessions; they set it up again.

    `actor` None means the command line, for when the only admin has lost their phone.
    """
    if actor is not None:
        check_manage_users(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    revoke_all_sessions(user.id)
    record_event(
        AuditAction.TWO_FACTOR_RESET,
        actor_id=actor.id if actor else None,
        target_type="user",
        target_id=user.id,
    )
    db.session.commit()
    return user
