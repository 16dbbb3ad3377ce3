"""The audit log: one typed table, written from one place, never holding story text."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import select
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from storybank.core.db import UTCDateTime
from storybank.core.db import utcnow
from storybank.extensions import db


class AuditAction(enum.StrEnum):
    """Every kind of event the audit log records."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    LOGIN_DELAYED = "login_delayed"
    TWO_FACTOR_ENROLLED = "two_factor_enrolled"
    TWO_FACTOR_PASSED = "two_factor_passed"
    TWO_FACTOR_FAILED = "two_factor_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    TWO_FACTOR_RESET = "two_factor_reset"
    VIEW_ORIGINAL = "view_original"
    STORY_SUBMITTED = "story_submitted"
    STORY_APPROVED = "story_approved"
    STORY_RETURNED = "story_returned"
    STORY_RESUBMITTED = "story_resubmitted"
    STORY_CORRECTED = "story_corrected"
    REDACTION_ACCEPTED = "redaction_accepted"
    REDACTION_REJECTED = "redaction_rejected"
    REDACTION_ADDED = "redaction_added"
    REDACTION_RELABELLED = "redaction_relabelled"
    AUDIO_STRETCH_HIDDEN = "audio_stretch_hidden"
    AUDIO_STRETCH_SHOWN = "audio_stretch_shown"
    ANONYMISATION_SIGNED_OFF = "anonymisation_signed_off"
    STORYTELLER_AGREED = "storyteller_agreed"
    STORYTELLER_ASKED_CHANGES = "storyteller_asked_changes"
    STORYTELLER_CHECK_HEARD = "storyteller_check_heard"
    IDENTIFIER_LIST_CHANGED = "identifier_list_changed"
    THEME_CONFIRMED = "theme_confirmed"
    THEME_REJECTED = "theme_rejected"
    CODEBOOK_CHANGED = "codebook_changed"
    TAGGER_TRAINED = "tagger_trained"
    STAGE_RETRIED = "stage_retried"
    USER_CREATED = "user_created"
    USER_ROLE_CHANGED = "user_role_changed"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    USER_PASSWORD_RESET = "user_password_reset"  # noqa: S105 - an event name, not a secret
    SITE_CREATED = "site_created"
    CONSENT_CHANGED = "consent_changed"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    STORY_ERASED = "story_erased"
    EVENT_CREATED = "event_created"
    EVENT_UPDATED = "event_updated"
    PACK_EDITED = "pack_edited"
    PACK_SUGGESTED = "pack_suggested"
    PACK_RENDERED = "pack_rendered"
    PACK_DOWNLOADED = "pack_downloaded"
    PACK_STORY_REMOVED = "pack_story_removed"
    ACTION_RECORDED = "action_recorded"
    ACTION_UPDATED = "action_updated"
    ACTIONS_SHARED = "actions_shared"
    API_TOKEN_CREATED = "api_token_created"  # noqa: S105 - an event name, not a secret
    API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105 - an event name, not a secret
    API_STORY_READ = "api_story_read"
    RESEARCH_EXPORTED = "research_exported"


# Keys a details mapping may carry. Anything else is dropped, so that story text, notes or
# names can never reach the log by accident.
ALLOWED_DETAIL_KEYS = frozenset(
    {
        "email",
        "role",
        "old_role",
        "new_role",
        "stage",
        "status",
        "reason_code",
        "version",
        "what",
        "label",
        "redaction",
        "count",
        "theme",
        "uses",
        "kind",
        "story",
        "token",
        "days",
    }
)


class AuditEvent(db.Model):
    """One thing that happened, who did it and to what."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column()
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record_event(
    action: AuditAction,
    *,
    actor_id: int | None,
    target_type: str | None = None,
    target_id: int | None = None,
    remote_addr: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits."""
    unknown = set(details) - ALLOWED_DETAIL_KEYS
    if unknown:
        raise ValueError(f"audit details may not carry {sorted(unknown)}")
    event = AuditEvent(
        action=action.value,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        remote_addr=remote_addr,
        details={key: str(value) for key, value in details.items()},
    )
    db.session.add(event)
    return event


def list_events(limit: int = 200, action: str | None = None) -> list[AuditEvent]:
    """Return the newest audit events first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))
