"""Anonymisation: propose redactions (a pipeline stage), review them, sign off, release.

The anonymised text is never stored or edited: it is derived from the original text version
and its accepted redactions, so no later change can bring a name back.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import select

from storybank.accounts.models import User
from storybank.anonymise import policy
from storybank.anonymise.audio import Unplaceable
from storybank.anonymise.audio import merge_ranges
from storybank.anonymise.audio import redact_wav
from storybank.anonymise.audio import time_ranges
from storybank.anonymise.audio_review import AudioReview
from storybank.anonymise.audio_review import audio_review_of
from storybank.anonymise.audio_review import hidden_stretches
from storybank.anonymise.engine import LABELS
from storybank.anonymise.engine import UNSURE_BELOW
from storybank.anonymise.engine import Anonymiser
from storybank.anonymise.engine import AnonymiserSettings
from storybank.anonymise.engine import Detection
from storybank.anonymise.engine import apply_replacements
from storybank.anonymise.engine import assign_placeholders
from storybank.anonymise.engine import load_anonymiser
from storybank.anonymise.lists import current_lists
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import AudioRedactionStatus
from storybank.anonymise.models import Redaction
from storybank.anonymise.models import RedactionStatus
from storybank.anonymise.records import anonymisation_for
from storybank.anonymise.records import editable_records
from storybank.anonymise.records import redactions_of
from storybank.anonymise.records import undo_sign_off
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.extensions import db
from storybank.pipeline.stages import ProgressCallback
from storybank.pipeline.stages import StageError
from storybank.stories.models import Story
from storybank.stories.models import StoryText
from storybank.stories.queries import get_story
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
    anonymisation = anonymisation_for(story)
    if text is None or anonymisation is None or anonymisation.text_version_id != text.id:
        return RedactionReview(story, text, None, [], "")  # type: ignore[arg-type]
    redactions = redactions_of(story, text)
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
        audio_review_of(story, text, live, story.audio.duration)
        if story.is_audio and story.audio
        else None
    )
    return RedactionReview(story, text, anonymisation, items, preview, audio)


def decide_redaction(actor: User, story_id: int, redaction_id: int, accept: bool) -> Redaction:
    """Accept or reject one proposed redaction (audited)."""
    story, text, anonymisation = editable_records(actor, story_id)
    redaction = _redaction_in(text, redaction_id)
    redaction.status = (RedactionStatus.ACCEPTED if accept else RedactionStatus.REJECTED).value
    redaction.decided_by_id = actor.id
    redaction.decided_at = utcnow()
    undo_sign_off(anonymisation)
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
    story, text, anonymisation = editable_records(actor, story_id, policy.can_relabel_redaction)
    if label not in LABELS:
        raise InvalidInput("Choose what kind of identifier it is.", field="label")
    redaction = _redaction_in(text, redaction_id)
    old_label = redaction.label
    surface = text.body[redaction.start : redaction.end].casefold()
    mentions = [
        other
        for other in redactions_of(story, text)
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
    undo_sign_off(anonymisation)
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
    story, text, anonymisation = editable_records(actor, story_id)
    if label not in LABELS:
        raise InvalidInput("Choose what kind of identifier it is.", field="label")
    body = text.body
    if not (0 <= start < end <= len(body)) or not body[start:end].strip():
        raise InvalidInput("Select the words to hide in the story, then add the redaction.")
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    for other in redactions_of(story, text):
        if other.start < end and other.end > start:
            start, end = min(start, other.start), max(end, other.end)
            db.session.delete(other)
    redaction = _reviewer_redaction(story, text, start, end, label, actor)
    db.session.add(redaction)
    undo_sign_off(anonymisation)
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
    _story, text, _anonymisation = editable_records(actor, story_id)
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
    story, text, anonymisation = editable_records(actor, story_id)
    redactions = redactions_of(story, text)
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
    ranges = merge_ranges(
        [*ranges, *((h.start_seconds, h.end_seconds) for h in hidden_stretches(story))]
    )
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


def is_signed_off(story: Story) -> bool:
    """Whether the story's newest text has signed-off redactions."""
    anonymisation = anonymisation_for(story)
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
    return anonymised_body(text.body, redactions_of(story, text))


@dataclass(frozen=True)
class ReleasedText:
    """The signed-off anonymised text, with each placeholder's place in it and in the original.

    `placeholders` holds (original start, original end, released start, released end) for each
    accepted redaction, in order, so that a passage picked in the released text can be held
    in the original's offsets and shown again through whatever redactions it has then.
    """

    text: str
    text_version_id: int
    placeholders: tuple[tuple[int, int, int, int], ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the released text to the original, widened to whole placeholders."""
        return self._original_offset(start, is_end=False), self._original_offset(end, is_end=True)

    def _original_offset(self, offset: int, is_end: bool) -> int:
        shift = 0
        for original_start, original_end, released_start, released_end in self.placeholders:
            if offset <= released_start:
                break
            if offset < released_end:  # inside a placeholder: take all of it
                return original_end if is_end else original_start
            shift = original_end - released_end
        return offset + shift

    def to_released(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the original to the released text, widened to whole placeholders."""
        released_start = self._released_offset(start, is_end=False)
        released_end = self._released_offset(end, is_end=True)
        return min(released_start, len(self.text)), min(released_end, len(self.text))

    def _released_offset(self, offset: int, is_end: bool) -> int:
        shift = 0
        for original_start, original_end, released_start, released_end in self.placeholders:
            if offset <= original_start:
                break
            if offset < original_end:  # inside a redaction: take all of its placeholder
                return released_end if is_end else released_start
            shift = released_end - original_end
        return offset + shift


def released_text(story: Story) -> ReleasedText | None:
    """Return the story's signed-off anonymised text and its placeholder map, or None."""
    if not is_signed_off(story):
        return None
    text = story.current_text
    assert text is not None
    return _released(text, redactions_of(story, text))


def released_texts(stories: list[Story]) -> dict[int, ReleasedText]:
    """`released_text` for many stories in three queries (exports): only signed-off ones."""
    ids = [story.id for story in stories]
    signed_off = {
        record.story_id: record.text_version_id
        for record in db.session.scalars(
            select(Anonymisation).where(
                Anonymisation.story_id.in_(ids), Anonymisation.signed_off_at.is_not(None)
            )
        )
    }
    texts = {
        story.id: story.current_text
        for story in stories
        if story.current_text is not None and signed_off.get(story.id) == story.current_text.id
    }
    redactions: dict[int, list[Redaction]] = {story_id: [] for story_id in texts}
    wanted = select(Redaction).where(
        Redaction.story_id.in_(list(texts)),
        Redaction.text_version_id.in_([text.id for text in texts.values()]),
    )
    for redaction in db.session.scalars(wanted):
        if redaction.text_version_id == texts[redaction.story_id].id:
            redactions[redaction.story_id].append(redaction)
    return {story_id: _released(text, redactions[story_id]) for story_id, text in texts.items()}


def _released(text: StoryText, redactions: list[Redaction]) -> ReleasedText:
    """Apply a text version's accepted redactions, keeping where each placeholder went."""
    accepted = [r for r in redactions if r.status == RedactionStatus.ACCEPTED.value]
    accepted.sort(key=lambda r: r.start)
    replacements = _replacements(text.body, accepted)
    placeholders = []
    shift = 0
    for redaction in accepted:
        released_start = redaction.start + shift
        released_end = released_start + len(replacements[redaction.id])
        placeholders.append((redaction.start, redaction.end, released_start, released_end))
        shift = released_end - redaction.end
    body = apply_replacements(text.body, [(r.start, r.end, replacements[r.id]) for r in accepted])
    return ReleasedText(body, text.id, tuple(placeholders))


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
    anonymisation = anonymisation_for(story)
    if (
        not policy.can_hear_redacted_audio(actor, story)
        or not is_signed_off(story)
        or anonymisation is None
        or anonymisation.audio_status != AudioRedactionStatus.READY.value
        or not anonymisation.redacted_audio_key
    ):
        raise NotFound
    return anonymisation.redacted_audio_key


def anonymised_passages(
    story: Story, spans: list[tuple[int, int]], draft: bool = False
) -> list[str] | None:
    """Return passages of the signed-off text with its placeholders, or None if not signed off.

    Placeholders are numbered across the whole story, so [PERSON 1] is the same person in
    every passage. A `draft` (for reviewers before sign-off) hides every redaction not yet
    rejected, so a proposed name is hidden too.
    """
    text = story.current_text
    if text is None or not (draft or is_signed_off(story)):
        return None
    hidden = {RedactionStatus.ACCEPTED.value}
    if draft:
        hidden.add(RedactionStatus.PROPOSED.value)
    accepted = [r for r in redactions_of(story, text) if r.status in hidden]
    replacements = _replacements(text.body, accepted)
    passages = []
    for start, end in spans:
        inside = [r for r in accepted if r.start < end and r.end > start]
        low = min([start, *(r.start for r in inside)])
        high = max([end, *(r.end for r in inside)])
        local = [(r.start - low, r.end - low, replacements[r.id]) for r in inside]
        passages.append(apply_replacements(text.body[low:high], local))
    return passages
