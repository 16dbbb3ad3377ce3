"""The story's anonymisation records, for the review services: which version, which redactions."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.anonymise import policy
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import AudioRedactionStatus
from storybank.anonymise.models import Redaction
from storybank.core.authz import Actor
from storybank.core.errors import Conflict
from storybank.core.errors import NotAllowed
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.stories.models import StoryText
from storybank.stories.queries import get_story


def anonymisation_for(story: Story) -> Anonymisation | None:
    """Return the story's anonymisation record (None before the stage first ran)."""
    return db.session.scalar(select(Anonymisation).where(Anonymisation.story_id == story.id))


def redactions_of(story: Story, text: StoryText) -> list[Redaction]:
    """Return the redactions of one text version, in text order."""
    return list(
        db.session.scalars(
            select(Redaction)
            .where(Redaction.story_id == story.id, Redaction.text_version_id == text.id)
            .order_by(Redaction.start)
        )
    )


def editable_records(
    actor: User,
    story_id: int,
    allowed: Callable[[Actor | None, Story], bool] = policy.can_review_redactions,
) -> tuple[Story, StoryText, Anonymisation]:
    """Return the story, text and anonymisation a reviewer may change, or refuse."""
    story = get_story(actor, story_id)
    if not allowed(actor, story):
        raise NotAllowed("Redactions are reviewed while the story is in review.")
    text = story.current_text
    anonymisation = anonymisation_for(story)
    if text is None or anonymisation is None or anonymisation.text_version_id != text.id:
        raise Conflict("This story's text changed; its redactions are being proposed again.")
    return story, text, anonymisation


def undo_sign_off(anonymisation: Anonymisation) -> None:
    """Forget a sign-off and its beeped copy: a change needs a new one."""
    anonymisation.signed_off_at = None
    anonymisation.signed_off_by_id = None
    anonymisation.audio_status = AudioRedactionStatus.NOT_APPLICABLE.value
    anonymisation.redacted_audio_key = None
    anonymisation.audio_problem = None
