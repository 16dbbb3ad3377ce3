"""Forms for the storyteller's answer; each carries the sign-off it answers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import TextAreaField


class AgreeForm(FlaskForm):
    """The storyteller has seen it and agrees."""

    shown = HiddenField()


class ChangesForm(FlaskForm):
    """The storyteller wants something changed before anyone else reads it."""

    shown = HiddenField()
    note = TextAreaField("What does the storyteller want changed?")
