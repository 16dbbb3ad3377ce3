"""A site's own identifier lists, on top of the bundled ones: prisons, courts, places, names."""

from __future__ import annotations

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.anonymise import policy
from storybank.anonymise.engine import Lists
from storybank.anonymise.models import IdentifierListEntry
from storybank.anonymise.models import ListKind
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.extensions import db


def current_lists() -> Lists:
    """Return the admins' lists, to use on top of the bundled ones."""
    entries = db.session.scalars(select(IdentifierListEntry)).all()

    def values(kind: ListKind) -> tuple[str, ...]:
        return tuple(entry.value for entry in entries if entry.kind == kind.value)

    return Lists(
        prisons=values(ListKind.PRISON),
        courts=values(ListKind.COURT),
        places=values(ListKind.PLACE),
        keep=values(ListKind.KEEP),
        names=values(ListKind.NAME),
    )


def list_entries(actor: User) -> list[IdentifierListEntry]:
    """Return the admins' identifier lists."""
    if not policy.can_manage_lists(actor):
        raise NotAllowed
    return list(
        db.session.scalars(
            select(IdentifierListEntry).order_by(
                IdentifierListEntry.kind, IdentifierListEntry.value
            )
        )
    )


def add_entry(actor: User, kind: str, value: str) -> IdentifierListEntry:
    """Add a prison, court, local place, or a phrase to keep."""
    if not policy.can_manage_lists(actor):
        raise NotAllowed
    if kind not in {k.value for k in ListKind}:
        raise InvalidInput("Choose which list.", field="kind")
    value = " ".join((value or "").split())
    if not value or len(value) > 120:
        raise InvalidInput("Enter a name of up to 120 characters.", field="value")
    if db.session.scalar(
        select(IdentifierListEntry.id).where(
            IdentifierListEntry.kind == kind, IdentifierListEntry.value == value
        )
    ):
        raise InvalidInput("That entry is already on the list.", field="value")
    entry = IdentifierListEntry(kind=kind, value=value, created_by_id=actor.id)
    db.session.add(entry)
    record_event(AuditAction.IDENTIFIER_LIST_CHANGED, actor_id=actor.id, what=f"add {kind}")
    db.session.commit()
    return entry


def remove_entry(actor: User, entry_id: int) -> None:
    """Remove an entry from the admins' lists."""
    if not policy.can_manage_lists(actor):
        raise NotAllowed
    entry = db.session.get(IdentifierListEntry, entry_id)
    if entry is None:
        raise NotFound
    record_event(
        AuditAction.IDENTIFIER_LIST_CHANGED, actor_id=actor.id, what=f"remove {entry.kind}"
    )
    db.session.delete(entry)
    db.session.commit()
