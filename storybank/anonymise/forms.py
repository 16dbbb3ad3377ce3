"""Forms for reviewing redactions and keeping the identifier lists."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import Optional

from storybank.anonymise.models import ListKind

LABEL_CHOICES = [
    SelectChoice("PERSON", "Person's name"),
    SelectChoice("LOCATION", "Place or address"),
    SelectChoice("ORG", "Organisation"),
    SelectChoice("DATE", "Date"),
    SelectChoice("PHONE", "Phone number"),
    SelectChoice("EMAIL", "Email address"),
    SelectChoice("ID", "Reference number"),
]
LIST_CHOICES = [
    SelectChoice(ListKind.PLACE.value, "Local place (redact)"),
    SelectChoice(ListKind.NAME.value, "Local name or nickname (redact)"),
    SelectChoice(ListKind.PRISON.value, "Prison (redact)"),
    SelectChoice(ListKind.COURT.value, "Court (redact)"),
    SelectChoice(ListKind.KEEP.value, "Role or service (keep, never redact)"),
]


class AddRedactionForm(FlaskForm):
    """A passage to hide: a selection (start and end) or a phrase typed in."""

    start = IntegerField(validators=[Optional()])
    end = IntegerField(validators=[Optional()])
    phrase = StringField("…or type the words to hide")
    label = SelectField("What is it?", choices=LABEL_CHOICES, validate_choice=False)
    selected_text = HiddenField()


class RelabelForm(FlaskForm):
    """The right kind of identifier for one redaction."""

    label = SelectField("Label", choices=LABEL_CHOICES, validate_choice=False)


class HideStretchForm(FlaskForm):
    """A stretch of the recording to hide, as typed times."""

    start = StringField("From")
    end = StringField("To")


class HideWordsForm(FlaskForm):
    """A stretch of the recording to hide, from one transcript word to another."""

    from_word = IntegerField("First word", validators=[Optional()])
    to_word = IntegerField("Last word", validators=[Optional()])


class ListEntryForm(FlaskForm):
    """A new entry for one of the identifier lists."""

    kind = SelectField("List", choices=LIST_CHOICES, validate_choice=False)
    value = StringField("Name or phrase")
