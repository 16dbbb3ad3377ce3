"""The recording's side of review: unclear words, and stretches hidden by words or time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storybank.accounts.models import User
from storybank.anonymise import policy
from storybank.anonymise.audio import format_seconds
from storybank.anonymise.audio import parse_seconds
from storybank.anonymise.audio import word_range_seconds
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import AudioHide
from storybank.anonymise.models import Redaction
from storybank.anonymise.records import editable_records
from storybank.anonymise.records import undo_sign_off
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.core.errors import ProblemCollector
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.stories.models import StoryText
from storybank.transcribe.timing import UNSURE_WORD_BELOW
from storybank.transcribe.timing import TimedWord
from storybank.transcribe.timing import timed_lines
from storybank.transcribe.timing import words_from_timings


@dataclass(frozen=True)
class ReviewWord:
    """A transcript word on the review page, and why the reviewer might listen to it."""

    index: int | None  # position among the timed words; None for a word with no timing
    text: str
    timing: TimedWord | None
    unsure: bool  # Whisper heard it with a probability below UNSURE_WORD_BELOW
    redacted: bool  # a redaction that is not rejected covers it
    hidden: bool  # inside a stretch the reviewer hid

    @property
    def time(self) -> str:
        return format_seconds(self.timing.start) if self.timing else ""

    @property
    def minute(self) -> int:
        """Which minute of the recording the word starts in (0 for the first)."""
        return int(self.timing.start // 60) if self.timing else 0


@dataclass(frozen=True)
class ReviewHide:
    """A hidden stretch of the recording, with the transcript words it silences."""

    hide: AudioHide
    words: str

    @property
    def span(self) -> str:
        return (
            f"{format_seconds(self.hide.start_seconds)} to {format_seconds(self.hide.end_seconds)}"
        )


@dataclass(frozen=True)
class AudioReview:
    """The recording's side of the review: its words, the unclear ones, the hidden stretches."""

    duration: float
    lines: list[list[ReviewWord]]
    hides: list[ReviewHide]

    @property
    def words(self) -> list[ReviewWord]:
        return [word for line in self.lines for word in line if word.index is not None]

    @property
    def unsure_words(self) -> list[tuple[ReviewWord, str]]:
        """Each word Whisper was unsure of, with a few words either side for context."""
        words = self.words
        return [
            (word, " ".join(w.text for w in words[max(position - 4, 0) : position + 5]))
            for position, word in enumerate(words)
            if word.unsure
        ]

    @property
    def length(self) -> str:
        return format_seconds(self.duration)


def audio_review_of(
    story: Story, text: StoryText, live: list[Redaction], duration: float
) -> AudioReview:
    """Lay the transcript out word by word, flagging unclear, redacted and hidden words."""
    hides = hidden_stretches(story)
    index_of = {
        (w.char_start, w.char_end): i for i, w in enumerate(words_from_timings(text.timings))
    }
    lines = [
        [_review_word(token, timing, index_of, live, hides) for token, timing in line.words]
        for line in timed_lines(text.body, text.timings)
    ]
    timed = [word for row in lines for word in row if word.timing]
    described = [
        ReviewHide(hide, " ".join(w.text for w in timed if w.timing and _silences(hide, w.timing)))
        for hide in hides
    ]
    return AudioReview(duration, lines, described)


def _review_word(
    token: str,
    timing: TimedWord | None,
    index_of: dict[tuple[int, int], int],
    live: list[Redaction],
    hides: list[AudioHide],
) -> ReviewWord:
    if timing is None:
        return ReviewWord(None, token, None, unsure=False, redacted=False, hidden=False)
    return ReviewWord(
        index_of.get((timing.char_start, timing.char_end)),
        token,
        timing,
        # A corrected word's probability is not Whisper's: it is marked estimated instead.
        unsure=not timing.estimated and timing.probability < UNSURE_WORD_BELOW,
        redacted=any(r.start < timing.char_end and r.end > timing.char_start for r in live),
        hidden=any(_silences(hide, timing) for hide in hides),
    )


def _silences(hide: AudioHide, word: TimedWord) -> bool:
    """Whether a hidden stretch takes out the middle of a word (so it cannot be made out)."""
    return hide.start_seconds <= (word.start + word.end) / 2 <= hide.end_seconds


def hidden_stretches(story: Story) -> list[AudioHide]:
    return list(
        db.session.scalars(
            select(AudioHide)
            .where(AudioHide.story_id == story.id)
            .order_by(AudioHide.start_seconds, AudioHide.id)
        )
    )


def hide_audio_stretch(actor: User, story_id: int, start: str, end: str) -> AudioHide:
    """Hide a stretch of the recording given as typed times (83.5 or 1:23), audited.

    The beeped copy silences it whether or not any redaction covers those words: a local name
    that Whisper misheard as ordinary words is caught only this way.
    """
    story, _text, anonymisation = editable_records(actor, story_id, policy.can_hide_audio_stretch)
    duration = _duration(story)
    problems = ProblemCollector()
    begin = problems.check(lambda: _typed_time(start, "start", duration))
    finish = problems.check(lambda: _typed_time(end, "end", duration))
    problems.raise_if_any()
    assert begin is not None and finish is not None
    if finish <= begin:
        raise InvalidInput(
            f"The end ({format_seconds(finish)}) must come after the start "
            f"({format_seconds(begin)}).",
            field="end",
        )
    return _add_hide(actor, story, anonymisation, begin, finish, None, None)


def hide_audio_words(
    actor: User, story_id: int, from_word: int | None, to_word: int | None
) -> AudioHide:
    """Hide the stretch of the recording from one transcript word to another, audited."""
    story, text, anonymisation = editable_records(actor, story_id, policy.can_hide_audio_words)
    duration = _duration(story)
    words = words_from_timings(text.timings)
    if from_word is None or to_word is None:
        raise InvalidInput("Choose the first and the last word to hide.", field="from_word")
    first, last = sorted((from_word, to_word))
    if first < 0 or last >= len(words):
        raise InvalidInput(
            "Those words are not in this transcript. Choose them again from the lists.",
            field="from_word",
        )
    begin, finish = word_range_seconds(words, first, last)
    return _add_hide(actor, story, anonymisation, begin, min(finish, duration), first, last)


def remove_audio_hide(actor: User, story_id: int, hide_id: int) -> None:
    """Let a hidden stretch be heard again (audited); the story needs signing off again."""
    story, _text, anonymisation = editable_records(actor, story_id, policy.can_remove_audio_hide)
    hide = db.session.get(AudioHide, hide_id)
    if hide is None or hide.story_id != story.id:
        raise NotFound
    db.session.delete(hide)
    undo_sign_off(anonymisation)
    record_event(
        AuditAction.AUDIO_STRETCH_SHOWN,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        what=f"audio hide {hide_id}",
    )
    db.session.commit()


def _duration(story: Story) -> float:
    if story.audio is None:
        raise Conflict("This story's recording has not been prepared yet.")
    return story.audio.duration


def _typed_time(value: str, field: str, duration: float) -> float:
    """Read a start or end time a reviewer typed, or say what to type instead."""
    seconds = parse_seconds(value)
    if seconds is None:
        raise InvalidInput(
            f"Enter the {field} as seconds (83.5) or minutes and seconds (1:23).", field=field
        )
    if seconds < 0 or seconds > duration + 0.05:
        raise InvalidInput(
            f"The recording is {format_seconds(duration)} long: enter a {field} between 0:00.0 "
            f"and {format_seconds(duration)}.",
            field=field,
        )
    return min(seconds, duration)


def _add_hide(
    actor: User,
    story: Story,
    anonymisation: Anonymisation,
    begin: float,
    finish: float,
    first: int | None,
    last: int | None,
) -> AudioHide:
    hide = AudioHide(
        story_id=story.id,
        start_seconds=round(begin, 3),
        end_seconds=round(finish, 3),
        from_word=first,
        to_word=last,
        created_by_id=actor.id,
    )
    db.session.add(hide)
    undo_sign_off(anonymisation)
    db.session.flush()
    record_event(
        AuditAction.AUDIO_STRETCH_HIDDEN,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        what=f"audio hide {hide.id}",
    )
    db.session.commit()
    return hide
