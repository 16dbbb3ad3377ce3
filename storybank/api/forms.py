"""The form for a new API token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import Optional

from storybank.api.tokens import DEFAULT_DAYS
from storybank.api.tokens import MAX_DAYS


class NewTokenForm(FlaskForm):
    """A name to tell the token by, and how many days it lasts (the service checks both)."""

    name = StringField("Name (what or where the token is for)")
    days = IntegerField(
        f"Days it lasts (1 to {MAX_DAYS})", default=DEFAULT_DAYS, validators=[Optional()]
    )
