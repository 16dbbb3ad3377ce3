"""Forms for events, the pack builder, quotes, suggestions and agreed actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import widgets
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from storybank.core.ids import row_id
from storybank.core.ids import story_row_id
from storybank.curate.actions import ActionDetails
from storybank.curate.events import EventDetails
from storybank.curate.models import ACTION_STATUS_LABELS
from storybank.stories.models import VOICE_LABELS


class CheckboxesField(SelectMultipleField):
    """A set of tick boxes rather than a multi-select list, which is hard to use on a phone."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EventForm(FlaskForm):
    """An event's details. The service checks the rules."""

    title = StringField("Title")
    held_on = DateField("Date", validators=[Optional()])
    place = StringField("Where")
    facilitator_id = SelectField("Facilitator", coerce=row_id, validate_choice=False)
    audience = TextAreaField(
        "Who is expected (for example: people on probation, peer mentors, staff, managers)"
    )
    notes = TextAreaField("Notes")

    def to_details(self) -> EventDetails:
        """Return the answers as the service's input."""
        return EventDetails(
            title=self.title.data or "",
            held_on=self.held_on.data,
            place=self.place.data or "",
            facilitator_id=self.facilitator_id.data,
            audience=self.audience.data or "",
            notes=self.notes.data or "",
        )


class StoryNotesForm(FlaskForm):
    """Why a story was chosen, and an optional summary (always labelled as one)."""

    reason = TextAreaField("Why this story was chosen")
    summary = TextAreaField("Summary in your own words (optional; always shown as a summary)")


class AddStoryForm(FlaskForm):
    """Add one story to the pack."""

    story_id = HiddenField()
    reason = StringField("Why this story (optional)")


class QuoteForm(FlaskForm):
    """A passage of the anonymised text: selected on the page, or pasted word for word."""

    passage = TextAreaField("The passage, word for word")
    start = HiddenField()
    end = HiddenField()
    theme = SelectField("For the theme", validate_choice=False)


class SuggestForm(FlaskForm):
    """What a balanced set must fit."""

    word_budget = IntegerField(
        "Total words for all the stories", default=3000, validators=[Optional(), NumberRange(1)]
    )
    max_stories = IntegerField(
        "At most this many stories (optional)", validators=[Optional(), NumberRange(1, 200)]
    )
    voices = CheckboxesField(
        "Voices to include",
        choices=[SelectChoice(voice.value, label) for voice, label in VOICE_LABELS.items()],
        default=[voice.value for voice in VOICE_LABELS],
    )
    seed = IntegerField(
        "Seed (optional: the same seed gives the same suggestion)", validators=[Optional()]
    )


class DiscussionForm(FlaskForm):
    """What was said at the event."""

    discussion_notes = TextAreaField("What people said")


class ActionForm(FlaskForm):
    """An action the event agreed, and how it is going."""

    you_said = TextAreaField("You said")
    we_will = TextAreaField("We will")
    owner = StringField("Owner (a person or a team)")
    due_on = DateField("Due by", validators=[Optional()])
    status = SelectField(
        "Status",
        choices=[
            SelectChoice(status.value, label) for status, label in ACTION_STATUS_LABELS.items()
        ],
        validate_choice=False,
    )
    we_did = TextAreaField("We did (what has happened so far)")
    themes = CheckboxesField("Themes that prompted it", validate_choice=False)
    stories = CheckboxesField(
        "Stories that prompted it", coerce=story_row_id, validate_choice=False
    )

    def to_details(self) -> ActionDetails:
        """Return the answers as the service's input."""
        return ActionDetails(
            you_said=self.you_said.data or "",
            we_will=self.we_will.data or "",
            owner=self.owner.data or "",
            due_on=self.due_on.data,
            status=self.status.data or "",
            we_did=self.we_did.data or "",
            theme_keys=list(self.themes.data or []),
            story_ids=list(self.stories.data or []),
        )
