"""Anonymisation: propose redactions (a pipeline stage), review them, sign off, release.

The anonymised text is never stored or edited: it is derived from the original text version
and its accepted redactions, so no later change can bring a name back.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import select

from storybank.accounts.models import User
from storybank.anonymise import policy
from storybank.anonymise.audio import Unplaceable
from storybank.anonymise.audio import format_seconds
from storybank.anonymise.audio import merge_ranges
from storybank.anonymise.audio import parse_seconds
from storybank.anonymise.audio import redact_wav
from storybank.anonymise.audio import time_ranges
from storybank.anonymise.audio import word_range_seconds
from storybank.anonymise.engine import LABELS
from storybank.anonymise.engine import UNSURE_BELOW
from storybank.anonymise.engine import Anonymiser
from storybank.anonymise.engine import AnonymiserSettings
from storybank.anonymise.engine import Detection
from storybank.anonymise.engine import Lists
from storybank.anonymise.engine import apply_replacements
from storybank.anonymise.engine import assign_placeholders
from storybank.anonymise.engine import load_anonymiser
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import AudioHide
from storybank.anonymise.models import AudioRedactionStatus
from storybank.anonymise.models import IdentifierListEntry
from storybank.anonymise.models import ListKind
from storybank.anonymise.models import Redaction
from storybank.anonymise.models import RedactionStatus
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.authz import Actor
from storybank.core.db import utcnow
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.errors import ProblemCollector
from storybank.extensions import db
from storybank.pipeline.stages import ProgressCallback
from storybank.pipeline.stages import StageError
from storybank.stories.models import Story
from storybank.stories.models import StoryText
from storybank.stories.services import get_story
from storybank.transcribe.timing import UNSURE_WORD_BELOW
from storybank.transcribe.timing import TimedWord
from storybank.transcribe.timing import timed_lines
from storybank.transcribe.timing import words_from_timings

_anonymiser_lock = threading.Lock()
LABEL_NAMES = {
    "PERSON": "Person",
    "LOCATION": "Place",
    "ORG": "Organisation",
    "DATE": "Date",
    "PHONE": "Phone",
    "EMAIL": "Email",
    "ID": "Reference number",
}


def get_anonymiser() -> Anonymiser:
    """Return this process's anonymiser (spaCy loads once per worker)."""
    factory = current_app.config.get("ANONYMISER_FACTORY")
    if factory is not None:
        return factory()
    with _anonymiser_lock:
        return load_anonymiser(AnonymiserSettings.from_env())


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


def known_names(story: Story) -> list[str]:
    """Names this story's records already hold: they must not appear in its text."""
    names = [story.reporter.display_name]
    consent = story.current_consent
    if consent is not None and consent.storyteller_name:
        names.append(consent.storyteller_name)
    return [name for name in names if name and name.strip()]


@dataclass
class _Carried:
    """A reviewer's decisions on an earlier text version, by surface text."""

    rejected: set[tuple[str, str]]  # (surface, label) shown on purpose
    added: list[tuple[str, str]]  # (surface, label) the reviewer redacted by hand
    labels: dict[tuple[str, str], str]  # (surface, detected label) -> the reviewer's label


def _carried_decisions(story_id: int) -> _Carried:
    """Reviewers' rejections, additions and relabels on an earlier version."""
    old = db.session.scalars(select(Redaction).where(Redaction.story_id == story_id)).all()
    carried = _Carried(set(), [], {})
    for redaction in old:
        body = db.session.get(StoryText, redaction.text_version_id).body
        surface = body[redaction.start : redaction.end].casefold()
        if redaction.status == RedactionStatus.REJECTED.value:
            carried.rejected.add((surface, redaction.label))
        elif redaction.source == "reviewer":
            carried.added.append((surface, redaction.label))
        if redaction.detected_label and redaction.detected_label != redaction.label:
            carried.labels[(surface, redaction.detected_label)] = redaction.label
    return carried


def anonymise_story(story_id: int, report_progress: ProgressCallback) -> None:
    """Propose redactions for the story's newest text. Fails closed: no proposal, no release.

    Safe to run again. A reviewer's rejections, additions and relabels on an earlier version
    carry over to the same words in the new one.
    """
    story = db.session.get(Story, story_id)
    if story is None:
        raise StageError("The story no longer exists.")
    text = story.current_text
    if text is None:
        raise StageError("The story has no text to anonymise.")
    try:
        detections = get_anonymiser().detect(text.body, known_names(story), current_lists())
    except Exception as error:
        raise StageError(
            f"Anonymisation failed ({type(error).__name__}), so nothing from this story is "
            "released. Retry it; if it fails again, ask an admin."
        ) from error
    report_progress(0.8)
    carried = _carried_decisions(story.id)
    db.session.execute(delete(Redaction).where(Redaction.story_id == story.id))
    _store_proposals(story, text, detections, carried)
    anonymisation = db.session.scalar(
        select(Anonymisation).where(Anonymisation.story_id == story.id)
    )
    if anonymisation is None:
        anonymisation = Anonymisation(story_id=story.id, text_version_id=text.id)
        db.session.add(anonymisation)
    anonymisation.text_version_id = text.id
    anonymisation.proposed_at = utcnow()
    anonymisation.signed_off_at = None
    anonymisation.signed_off_by_id = None
    anonymisation.audio_status = AudioRedactionStatus.NOT_APPLICABLE.value
    anonymisation.audio_problem = None
    anonymisation.redacted_audio_key = None
    db.session.commit()
    report_progress(1.0)


def _store_proposals(
    story: Story, text: StoryText, detections: list[Detection], carried: _Carried
) -> None:
    """Add a proposed redaction per detection, then the reviewer's carried additions."""
    covered: list[tuple[int, int]] = []
    for detection in detections:
        surface = text.body[detection.start : detection.end].casefold()
        label = carried.labels.get((surface, detection.label), detection.label)
        shown = (surface, label) in carried.rejected
        db.session.add(
            Redaction(
                story_id=story.id,
                text_version_id=text.id,
                start=detection.start,
                end=detection.end,
                label=label,
                detected_label=detection.label,
                source=detection.source,
                confidence=detection.confidence,
                status=(RedactionStatus.REJECTED if shown else RedactionStatus.PROPOSED).value,
            )
        )
        covered.append((detection.start, detection.end))
    lowered = text.body.casefold()
    for surface, label in carried.added:
        for start in _occurrences(lowered, surface):
            end = start + len(surface)
            if any(start < c_end and end > c_start for c_start, c_end in covered):
                continue
            db.session.add(_reviewer_redaction(story, text, start, end, label, None))
            covered.append((start, end))


def _occurrences(haystack: str, needle: str) -> list[int]:
    found: list[int] = []
    start = haystack.find(needle)
    while needle and start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def _reviewer_redaction(
    story: Story, text: StoryText, start: int, end: int, label: str, actor: User | None
) -> Redaction:
    return Redaction(
        story_id=story.id,
        text_version_id=text.id,
        start=start,
        end=end,
        label=label,
        source="reviewer",
        confidence=1.0,
        status=RedactionStatus.ACCEPTED.value,
        decided_by_id=actor.id if actor else None,
        decided_at=utcnow() if actor else None,
    )


@dataclass(frozen=True)
class ReviewItem:
    """A redaction as the reviewer sees it."""

    redaction: Redaction
    text: str
    replacement: str
    unsure: bool


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


@dataclass(frozen=True)
class RedactionReview:
    """Everything the redaction review page shows."""

    story: Story
    text: StoryText
    anonymisation: Anonymisation | None
    items: list[ReviewItem]  # unsure first, then in text order
    preview: str
    audio: AudioReview | None = None

    @property
    def undecided(self) -> int:
        return sum(1 for item in self.items if item.redaction.status == "proposed")

    @property
    def unsure(self) -> int:
        return sum(1 for item in self.items if item.unsure)

    @property
    def pieces(self) -> list[tuple[int, str, ReviewItem | None]]:
        """The text cut into (offset, text, redaction or None), in order, for highlighting."""
        body = self.text.body if self.text else ""
        ordered = sorted(self.items, key=lambda item: item.redaction.start)
        pieces: list[tuple[int, str, ReviewItem | None]] = []
        position = 0
        for item in ordered:
            start, end = item.redaction.start, item.redaction.end
            if start < position:
                continue
            if start > position:
                pieces.append((position, body[position:start], None))
            pieces.append((start, body[start:end], item))
            position = end
        if position < len(body):
            pieces.append((position, body[position:], None))
        return pieces


def _anonymisation_for(story: Story) -> Anonymisation | None:
    return db.session.scalar(select(Anonymisation).where(Anonymisation.story_id == story.id))


def _redactions(story: Story, text: StoryText) -> list[Redaction]:
    return list(
        db.session.scalars(
            select(Redaction)
            .where(Redaction.story_id == story.id, Redaction.text_version_id == text.id)
            .order_by(Redaction.start)
        )
    )


def _replacements(body: str, redactions: list[Redaction]) -> dict[int, str]:
    detections = [
        Detection(r.start, r.end, r.label, r.source, r.confidence, body[r.start : r.end])
        for r in redactions
    ]
    return dict(zip([r.id for r in redactions], assign_placeholders(body, detections), strict=True))


def anonymised_body(body: str, redactions: list[Redaction]) -> str:
    """Derive the anonymised text from the original and its accepted redactions."""
    accepted = [r for r in redactions if r.status == RedactionStatus.ACCEPTED.value]
    replacements = _replacements(body, accepted)
    return apply_replacements(body, [(r.start, r.end, replacements[r.id]) for r in accepted])


def review_redactions(actor: User, story_id: int) -> RedactionReview:
    """Return the story's proposed and decided redactions for its reviewer (unsure first)."""
    story = get_story(actor, story_id)
    if not policy.can_review_redactions(actor, story):
        raise NotAllowed("Redactions are reviewed while the story is in review.")
    text = story.current_text
    anonymisation = _anonymisation_for(story)
    if text is None or anonymisation is None or anonymisation.text_version_id != text.id:
        return RedactionReview(story, text, None, [], "")  # type: ignore[arg-type]
    redactions = _redactions(story, text)
    live = [r for r in redactions if r.status != RedactionStatus.REJECTED.value]
    replacements = _replacements(text.body, live)
    items = [
        ReviewItem(
            r,
            text.body[r.start : r.end],
            replacements.get(r.id, ""),
            r.status == RedactionStatus.PROPOSED.value and r.confidence < UNSURE_BELOW,
        )
        for r in redactions
    ]
    items.sort(key=lambda item: (not item.unsure, item.redaction.start))
    preview = apply_replacements(text.body, [(r.start, r.end, replacements[r.id]) for r in live])
    audio = (
        _audio_review(story, text, live, story.audio.duration)
        if story.is_audio and story.audio
        else None
    )
    return RedactionReview(story, text, anonymisation, items, preview, audio)


def _audio_review(
    story: Story, text: StoryText, live: list[Redaction], duration: float
) -> AudioReview:
    """Lay the transcript out word by word, flagging unclear, redacted and hidden words."""
    hides = _hides(story)
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


def _hides(story: Story) -> list[AudioHide]:
    return list(
        db.session.scalars(
            select(AudioHide)
            .where(AudioHide.story_id == story.id)
            .order_by(AudioHide.start_seconds, AudioHide.id)
        )
    )


def _editable(
    actor: User,
    story_id: int,
    allowed: Callable[[Actor | None, Story], bool] = policy.can_review_redactions,
) -> tuple[Story, StoryText, Anonymisation]:
    story = get_story(actor, story_id)
    if not allowed(actor, story):
        raise NotAllowed("Redactions are reviewed while the story is in review.")
    text = story.current_text
    anonymisation = _anonymisation_for(story)
    if text is None or anonymisation is None or anonymisation.text_version_id != text.id:
        raise Conflict("This story's text changed; its redactions are being proposed again.")
    return story, text, anonymisation


def _unsign(anonymisation: Anonymisation) -> None:
    anonymisation.signed_off_at = None
    anonymisation.signed_off_by_id = None
    anonymisation.audio_status = AudioRedactionStatus.NOT_APPLICABLE.value
    anonymisation.redacted_audio_key = None
    anonymisation.audio_problem = None


def decide_redaction(actor: User, story_id: int, redaction_id: int, accept: bool) -> Redaction:
    """Accept or reject one proposed redaction (audited)."""
    story, text, anonymisation = _editable(actor, story_id)
    redaction = _redaction_in(text, redaction_id)
    redaction.status = (RedactionStatus.ACCEPTED if accept else RedactionStatus.REJECTED).value
    redaction.decided_by_id = actor.id
    redaction.decided_at = utcnow()
    _unsign(anonymisation)
    record_event(
        AuditAction.REDACTION_ACCEPTED if accept else AuditAction.REDACTION_REJECTED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        redaction=redaction.id,
        label=redaction.label,
    )
    db.session.commit()
    return redaction


def _redaction_in(text: StoryText, redaction_id: int) -> Redaction:
    redaction = db.session.get(Redaction, redaction_id)
    if redaction is None or redaction.text_version_id != text.id:
        raise NotFound
    return redaction


def relabel_redaction(actor: User, story_id: int, redaction_id: int, label: str) -> int:
    """Say what kind of identifier a redaction is, and hide it (audited). Returns how many changed.

    Every other mention of the same words with the same label follows, so that one person
    keeps one placeholder; placeholders are derived from labels, so their numbers follow too.
    A mention the reviewer chose to show stays shown.
    """
    story, text, anonymisation = _editable(actor, story_id, policy.can_relabel_redaction)
    if label not in LABELS:
        raise InvalidInput("Choose what kind of identifier it is.", field="label")
    redaction = _redaction_in(text, redaction_id)
    old_label = redaction.label
    surface = text.body[redaction.start : redaction.end].casefold()
    mentions = [
        other
        for other in _redactions(story, text)
        if other.label == old_label
        and other.status != RedactionStatus.REJECTED.value
        and text.body[other.start : other.end].casefold() == surface
    ]
    changed = {redaction.id: redaction} | {other.id: other for other in mentions}
    for mention in changed.values():
        mention.label = label
    redaction.status = RedactionStatus.ACCEPTED.value
    redaction.decided_by_id = actor.id
    redaction.decided_at = utcnow()
    _unsign(anonymisation)
    record_event(
        AuditAction.REDACTION_RELABELLED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        redaction=redaction.id,
        label=label,
        what=f"from {old_label}",
        count=len(changed),
    )
    db.session.commit()
    return len(changed)


def add_redaction(actor: User, story_id: int, start: int, end: int, label: str) -> Redaction:
    """Redact a passage the reviewer selected (audited). Overlapping proposals are absorbed."""
    story, text, anonymisation = _editable(actor, story_id)
    if label not in LABELS:
        raise InvalidInput("Choose what kind of identifier it is.", field="label")
    body = text.body
    if not (0 <= start < end <= len(body)) or not body[start:end].strip():
        raise InvalidInput("Select the words to hide in the story, then add the redaction.")
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    for other in _redactions(story, text):
        if other.start < end and other.end > start:
            start, end = min(start, other.start), max(end, other.end)
            db.session.delete(other)
    redaction = _reviewer_redaction(story, text, start, end, label, actor)
    db.session.add(redaction)
    _unsign(anonymisation)
    db.session.flush()
    record_event(
        AuditAction.REDACTION_ADDED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        redaction=redaction.id,
        label=label,
    )
    db.session.commit()
    return redaction


def add_redaction_for_phrase(actor: User, story_id: int, phrase: str, label: str) -> int:
    """Redact every occurrence of a phrase (for when selecting text is awkward). Returns count."""
    _story, text, _anonymisation = _editable(actor, story_id)
    phrase = (phrase or "").strip()
    if not phrase:
        raise InvalidInput("Type the words to hide, exactly as they appear.", field="phrase")
    starts = _occurrences(text.body.casefold(), phrase.casefold())
    if not starts:
        raise InvalidInput("Those words do not appear in the story. Check the spelling.", "phrase")
    for start in starts:
        add_redaction(actor, story_id, start, start + len(phrase), label)
    return len(starts)


def sign_off(actor: User, story_id: int) -> Anonymisation:
    """Sign the anonymisation off: remaining proposals are accepted (recall first).

    For a recording, a redacted copy is made with every accepted redaction and every stretch
    the reviewer hid beeped out, unless a redaction cannot be placed in the audio: then no
    redacted audio is released, and the reviewer is told which.
    """
    story, text, anonymisation = _editable(actor, story_id)
    redactions = _redactions(story, text)
    for redaction in redactions:
        if redaction.status == RedactionStatus.PROPOSED.value:
            redaction.status = RedactionStatus.ACCEPTED.value
            redaction.decided_by_id = actor.id
            redaction.decided_at = utcnow()
    anonymisation.signed_off_at = utcnow()
    anonymisation.signed_off_by_id = actor.id
    if story.is_audio:
        _make_redacted_audio(story, text, anonymisation, redactions)
    record_event(
        AuditAction.ANONYMISATION_SIGNED_OFF,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        version=text.version,
        count=sum(1 for r in redactions if r.status == RedactionStatus.ACCEPTED.value),
    )
    db.session.commit()
    return anonymisation


def _make_redacted_audio(
    story: Story, text: StoryText, anonymisation: Anonymisation, redactions: list[Redaction]
) -> None:
    accepted = [r for r in redactions if r.status == RedactionStatus.ACCEPTED.value]
    replacements = _replacements(text.body, accepted)
    ranges, missing = time_ranges(
        [(r.start, r.end, r.label) for r in accepted], words_from_timings(text.timings)
    )
    ranges = merge_ranges([*ranges, *((h.start_seconds, h.end_seconds) for h in _hides(story))])
    audio = story.audio
    if missing or audio is None or not audio.canonical_key:
        anonymisation.audio_status = AudioRedactionStatus.BLOCKED.value
        anonymisation.audio_problem = _unplaceable_message(missing, accepted, replacements)
        anonymisation.redacted_audio_key = None
        return
    storage = current_app.extensions["storybank_storage"]
    key = audio.original_key.rsplit("/", 1)[0] + f"/redacted-v{text.version}.wav"
    with storage.local_path(audio.canonical_key) as source, tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "redacted.wav"
        redact_wav(source, target, ranges, beep=True)
        with target.open("rb") as stream:
            storage.save_stream(key, stream)
    anonymisation.audio_status = AudioRedactionStatus.READY.value
    anonymisation.audio_problem = None
    anonymisation.redacted_audio_key = key


def _unplaceable_message(
    missing: list[Unplaceable], accepted: list[Redaction], replacements: dict[int, str]
) -> str:
    if not missing:
        return "The recording has not been prepared, so no redacted audio can be made."
    names = []
    for item in missing:
        match = next((r for r in accepted if r.start == item.start and r.end == item.end), None)
        names.append(replacements.get(match.id, item.label) if match else item.label)
    return (
        "No redacted audio is released for this story: "
        + ", ".join(sorted(set(names)))
        + " could not be placed in the recording (the words have no timing, usually because "
        "they were typed in a correction that has no matching speech). The text is unaffected."
    )


def hide_audio_stretch(actor: User, story_id: int, start: str, end: str) -> AudioHide:
    """Hide a stretch of the recording given as typed times (83.5 or 1:23), audited.

    The beeped copy silences it whether or not any redaction covers those words: a local name
    that Whisper misheard as ordinary words is caught only this way.
    """
    story, _text, anonymisation = _editable(actor, story_id, policy.can_hide_audio_stretch)
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
    story, text, anonymisation = _editable(actor, story_id, policy.can_hide_audio_words)
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
    story, _text, anonymisation = _editable(actor, story_id, policy.can_remove_audio_hide)
    hide = db.session.get(AudioHide, hide_id)
    if hide is None or hide.story_id != story.id:
        raise NotFound
    db.session.delete(hide)
    _unsign(anonymisation)
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
    _unsign(anonymisation)
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


def is_signed_off(story: Story) -> bool:
    """Whether the story's newest text has signed-off redactions."""
    anonymisation = _anonymisation_for(story)
    text = story.current_text
    return bool(
        anonymisation is not None
        and text is not None
        and anonymisation.signed_off_at is not None
        and anonymisation.text_version_id == text.id
    )


def released_text_of(story: Story) -> str | None:
    """Return the signed-off anonymised text of the story's newest version, or None."""
    if not is_signed_off(story):
        return None
    text = story.current_text
    assert text is not None
    return anonymised_body(text.body, _redactions(story, text))


def can_play_redacted_audio(actor: User, story: Story) -> bool:
    """Whether this user may hear the story's redacted recording now."""
    try:
        redacted_audio_key(actor, story.id)
    except NotFound:
        return False
    return True


def redacted_audio_key(actor: User, story_id: int) -> str:
    """Return the redacted recording's key for someone allowed to hear it, else NotFound."""
    story = get_story(actor, story_id)
    anonymisation = _anonymisation_for(story)
    if (
        not policy.can_hear_redacted_audio(actor, story)
        or not is_signed_off(story)
        or anonymisation is None
        or anonymisation.audio_status != AudioRedactionStatus.READY.value
        or not anonymisation.redacted_audio_key
    ):
        raise NotFound
    return anonymisation.redacted_audio_key


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


def anonymised_passages(story: Story, spans: list[tuple[int, int]]) -> list[str] | None:
    """Return passages of the signed-off text with its placeholders, or None if not signed off.

    Placeholders are numbered across the whole story, so [PERSON 1] is the same person in
    every passage.
    """
    if not is_signed_off(story):
        return None
    text = story.current_text
    assert text is not None
    accepted = [r for r in _redactions(story, text) if r.status == RedactionStatus.ACCEPTED.value]
    replacements = _replacements(text.body, accepted)
    passages = []
    for start, end in spans:
        inside = [r for r in accepted if r.start < end and r.end > start]
        low = min([start, *(r.start for r in inside)])
        high = max([end, *(r.end for r in inside)])
        local = [(r.start - low, r.end - low, replacements[r.id]) for r in inside]
        passages.append(apply_replacements(text.body[low:high], local))
    return passages
