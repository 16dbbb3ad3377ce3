"""The new-story form and the review forms."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField
from wtforms import DateField
from wtforms import HiddenField
from wtforms import RadioField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import Optional

from storybank.core.ids import row_id
from storybank.stories.models import VOICE_LABELS
from storybank.stories.models import StoryType
from storybank.stories.services import AudioUpload
from storybank.stories.services import ConsentAnswers
from storybank.stories.services import StoryDraft

STORY_TYPE_CHOICES = [SelectChoice(t.value, t.value.capitalize()) for t in StoryType]
VOICE_CHOICES = [SelectChoice(voice.value, label) for voice, label in VOICE_LABELS.items()]


class NewStoryForm(FlaskForm):
    """What a reporter fills in for a new story. The service checks the rules."""

    title = StringField("Title")
    story_type = RadioField("Story type", choices=STORY_TYPE_CHOICES, validate_choice=False)
    voice = RadioField("Whose voice is it?", choices=VOICE_CHOICES, validate_choice=False)
    site_id = SelectField("Site", coerce=row_id, validate_choice=False)
    storyteller_pseudonym = StringField("Storyteller's pseudonym")
    storyteller_name = StringField(
        "Storyteller's real name, if on the consent form (kept private; helps remove it)"
    )
    consent_processing = BooleanField("Storybank may process and store this story")
    consent_events = BooleanField("It may be used at Conversation of Change events")
    consent_research = BooleanField("It may be used in research")
    consent_audio_at_events = BooleanField("Its audio may be played at events")
    consent_given_on = DateField(
        "Date consent was given", default=date.today, validators=[Optional()]
    )
    audio_file = FileField("Upload the recording")
    text = TextAreaField("Type or paste the story")
    text_file = FileField("…or upload it as a .txt file")
    submission_key = HiddenField()
    upload_id = HiddenField()  # set by the page's script once a resumable upload has finished

    def to_draft(self) -> StoryDraft:
        """Return the form's answers as the service's input."""
        upload = self.text_file.data
        file_bytes = upload.read() if upload and getattr(upload, "filename", "") else None
        recording = self.audio_file.data
        audio = (
            AudioUpload(stream=recording.stream, filename=recording.filename or "")
            if recording and getattr(recording, "filename", "")
            else None
        )
        return StoryDraft(
            title=self.title.data or "",
            story_type=self.story_type.data or "",
            voice=self.voice.data or "",
            site_id=self.site_id.data,
            storyteller_pseudonym=self.storyteller_pseudonym.data or "",
            consent=ConsentAnswers(
                processing=bool(self.consent_processing.data),
                events=bool(self.consent_events.data),
                research=bool(self.consent_research.data),
                audio_at_events=bool(self.consent_audio_at_events.data),
                given_on=self.consent_given_on.data,
                storyteller_name=self.storyteller_name.data or "",
            ),
            submission_key=self.submission_key.data or "",
            text=self.text.data or "",
            text_file=file_bytes or None,
            audio=audio,
            upload_id=self.upload_id.data or "",
        )


class ReturnForm(FlaskForm):
    """Send a story back with a note."""

    note = TextAreaField("What should the reporter change?")


class ResubmitForm(FlaskForm):
    """The reporter's corrected text."""

    text = TextAreaField("Corrected story")


class CorrectionForm(FlaskForm):
    """A corrected transcript (one line per segment)."""

    text = TextAreaField("Corrected transcript")
