"""The consent page's forms: narrow the uses, or withdraw with a confirmation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from storybank.privacy.services import ConsentUses


class ConsentForm(FlaskForm):
    """The uses the storyteller still agrees to; unticking one stops it at once."""

    events = BooleanField("Use at Conversation of Change events")
    research = BooleanField("Use in research")
    audio_at_events = BooleanField("Play the (beeped) recording at events")

    def to_uses(self) -> ConsentUses:
        return ConsentUses(
            events=bool(self.events.data),
            research=bool(self.research.data),
            audio_at_events=bool(self.audio_at_events.data),
        )


class WithdrawForm(FlaskForm):
    """Withdrawal asks for a tick, because it cannot be undone."""

    confirm = BooleanField("The storyteller withdraws consent: erase this story for good")
