"""Where a story's storyteller check stands, and whether approval must wait for it.

This module reads models only, so that `stories.services.approve_story` can ask it without
importing the anonymise services (which import the stories services).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from storybank.anonymise.models import Anonymisation
from storybank.check.models import CheckDecision
from storybank.check.models import StorytellerCheck
from storybank.core.errors import Conflict
from storybank.extensions import db
from storybank.stories.models import Story

REQUIRED = "required"
OPTIONAL = "optional"
SETTING_VALUES = (REQUIRED, OPTIONAL)


class CheckState(enum.StrEnum):
    """Where the check of the story's current sign-off stands."""

    NOT_SIGNED_OFF = "not_signed_off"  # nothing final to show yet
    WAITING = "waiting"  # signed off; the storyteller has not answered for this sign-off
    AGREED = "agreed"


@dataclass(frozen=True)
class CheckStatus:
    """The check of one story: its state, the newest answer, and whether approval waits."""

    state: CheckState
    anonymisation: Anonymisation | None
    latest: StorytellerCheck | None  # the newest answer, about any sign-off
    required: bool

    @property
    def signed_off(self) -> bool:
        return self.state != CheckState.NOT_SIGNED_OFF

    @property
    def changes_asked(self) -> StorytellerCheck | None:
        """The storyteller's request for changes, until they agree to a later sign-off."""
        if self.latest is not None and self.latest.decision == CheckDecision.CHANGES_ASKED:
            return self.latest
        return None

    @property
    def blocks_approval(self) -> bool:
        return self.required and self.state != CheckState.AGREED

    @property
    def stamp(self) -> str:
        """Names the sign-off on show, so an answer is about what the storyteller saw."""
        return sign_off_stamp(self.anonymisation) if self.signed_off else ""


def check_required() -> bool:
    """Whether approval waits for the storyteller's check (STORYBANK_STORYTELLER_CHECK)."""
    return current_app.config.get("STORYTELLER_CHECK", REQUIRED) != OPTIONAL


def sign_off_stamp(anonymisation: Anonymisation | None) -> str:
    """Return a text naming one sign-off: its text version and when it was signed."""
    if anonymisation is None or anonymisation.signed_off_at is None:
        return ""
    return f"{anonymisation.text_version_id}:{anonymisation.signed_off_at.isoformat()}"


def _is_about(answer: StorytellerCheck, anonymisation: Anonymisation) -> bool:
    return (
        answer.text_version_id == anonymisation.text_version_id
        and answer.signed_off_at == anonymisation.signed_off_at
    )


def check_status(story: Story) -> CheckStatus:
    """Return where the storyteller's check of the story's current sign-off stands."""
    anonymisation = db.session.scalar(
        select(Anonymisation).where(Anonymisation.story_id == story.id)
    )
    latest = db.session.scalar(
        select(StorytellerCheck)
        .where(StorytellerCheck.story_id == story.id)
        .order_by(StorytellerCheck.id.desc())
        .limit(1)
    )
    text = story.current_text
    signed_off = (
        anonymisation is not None
        and text is not None
        and anonymisation.signed_off_at is not None
        and anonymisation.text_version_id == text.id
    )
    if not signed_off:
        state = CheckState.NOT_SIGNED_OFF
    elif (
        latest is not None
        and latest.decision == CheckDecision.AGREED
        and _is_about(latest, anonymisation)  # type: ignore[arg-type]
    ):
        state = CheckState.AGREED
    else:
        state = CheckState.WAITING
    return CheckStatus(state, anonymisation, latest, check_required())


def require_storyteller_check(story: Story) -> None:
    """Refuse approval while the setting says it waits and the storyteller has not agreed."""
    status = check_status(story)
    if not status.blocks_approval:
        return
    if status.changes_asked is not None:
        raise Conflict(
            "The storyteller asked for changes (their note is on the review page). Make the "
            "changes, sign the redactions off again, and wait for the storyteller to agree."
        )
    raise Conflict(
        "The storyteller has not yet seen and agreed to the anonymised story. Its reporter "
        "shows it to them from the story's page; you can approve once they agree."
    )
