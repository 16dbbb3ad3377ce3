"""Story actions. Each one checks its rule in stories.policy before it does anything."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from dataclasses import fields
from datetime import date
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm import load_only
from sqlalchemy.orm import selectinload

from storybank.accounts.models import User
from storybank.anonymise.services import can_play_redacted_audio
from storybank.anonymise.services import is_signed_off
from storybank.anonymise.services import released_text_of
from storybank.check.status import require_storyteller_check
from storybank.core.audit import AuditAction
from storybank.core.audit import AuditEvent
from storybank.core.audit import record_event
from storybank.core.authz import Role
from storybank.core.authz import has_role
from storybank.core.authz import require_role
from storybank.core.db import utcnow
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.errors import ProblemCollector
from storybank.core.sanitise import clean_story_text
from storybank.core.sanitise import decode_text_upload
from storybank.core.storage import Storage
from storybank.core.storage import StorageTooLarge
from storybank.core.story_hooks import run_story_hooks
from storybank.curate.actions import StoryUse
from storybank.curate.actions import story_use
from storybank.extensions import db
from storybank.ingest.audio import AudioRejected
from storybank.ingest.audio import probe_audio
from storybank.pipeline.services import ProgressStep
from storybank.pipeline.services import jobs_for_stories
from storybank.pipeline.services import jobs_for_story
from storybank.pipeline.services import progress_steps
from storybank.pipeline.services import rerun_after_text_change
from storybank.pipeline.services import retry_failed_stage
from storybank.pipeline.services import start_pipeline
from storybank.stories import policy
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Site
from storybank.stories.models import Story
from storybank.stories.models import StoryAudio
from storybank.stories.models import StoryStatus
from storybank.stories.models import StoryText
from storybank.stories.models import StoryType
from storybank.stories.models import Voice
from storybank.stories.queries import StoryFilters
from storybank.stories.queries import StoryPage
from storybank.stories.queries import get_story
from storybank.stories.queries import query_stories
from storybank.tag import policy as theme_policy
from storybank.tag.services import ThemeView
from storybank.tag.services import story_themes
from storybank.tag.services import tags_for_stories
from storybank.transcribe.timing import TimedLine
from storybank.transcribe.timing import carry_timings
from storybank.transcribe.timing import timed_lines
from storybank.uploads.services import finished_upload
from storybank.uploads.services import forget_upload


@dataclass
class ConsentAnswers:
    """What the storyteller agreed to, as the reporter recorded it."""

    processing: bool
    events: bool
    research: bool
    audio_at_events: bool
    given_on: date | None
    storyteller_name: str = ""


@dataclass
class AudioUpload:
    """A recording as it arrives: a stream to read once, and the name the phone gave it."""

    stream: BinaryIO
    filename: str = ""


@dataclass
class StoryDraft:
    """Everything the new-story form gathers, before any of it is trusted."""

    title: str
    story_type: str
    voice: str
    site_id: int | None
    storyteller_pseudonym: str
    consent: ConsentAnswers
    submission_key: str
    text: str = ""
    text_file: bytes | None = None
    audio: AudioUpload | None = None
    upload_id: str = ""  # a finished resumable upload holding the recording


def _required(value: str, field: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"Enter {what}.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"Keep {what} under {limit} characters.", field=field)
    return value


def _check_consent(consent: ConsentAnswers) -> None:
    if not consent.processing:
        raise InvalidInput(
            "Storybank can only keep a story when the storyteller agrees to it being processed "
            "and stored. Ask them, and tick the box if they agree.",
            field="consent_processing",
        )
    if consent.given_on is None:
        raise InvalidInput("Enter the date the storyteller gave consent.", field="consent_given_on")
    if consent.given_on > date.today():
        raise InvalidInput("The consent date cannot be in the future.", field="consent_given_on")
    if consent.audio_at_events and not consent.events:
        raise InvalidInput(
            "Playing the audio at events needs consent to use the story at events too.",
            field="consent_audio_at_events",
        )


def _story_text_from(draft: StoryDraft) -> str:
    limit = current_app.config["MAX_TEXT_BYTES"]
    limit_kb = limit // 1000
    pasted = (draft.text or "").strip()
    if draft.text_file:
        if pasted:
            raise InvalidInput(
                "Either paste the story or upload a file, not both.", field="text_file"
            )
        if len(draft.text_file) > limit:
            raise InvalidInput(
                f"That file is larger than the {limit_kb} KB limit for a text story. Split it "
                "into parts, or ask an admin to raise the limit.",
                field="text_file",
            )
        raw = decode_text_upload(draft.text_file)
    else:
        raw = draft.text or ""
    if len(raw.encode("utf-8")) > limit:
        raise InvalidInput(
            f"The story is longer than the {limit_kb} KB limit for a text story. Split it into "
            "parts, or ask an admin to raise the limit.",
            field="text",
        )
    text = clean_story_text(raw)
    if not text:
        raise InvalidInput("The story is empty. Type or paste it, or upload a .txt file.", "text")
    return text


def _check_choices(draft: StoryDraft) -> None:
    problems = ProblemCollector()
    if draft.story_type not in {t.value for t in StoryType}:
        problems.problems.append(InvalidInput("Choose a story type.", field="story_type"))
    if draft.voice not in {v.value for v in Voice}:
        problems.problems.append(InvalidInput("Choose whose voice the story is in.", field="voice"))
    problems.raise_if_any()


def _active_site(site_id: int | None) -> Site:
    site = db.session.get(Site, site_id) if site_id else None
    if site is None or not site.is_active:
        raise InvalidInput("Choose the site where the story was gathered.", field="site_id")
    return site


def _existing_submission(reporter_id: int, key: str) -> Story | None:
    return db.session.scalar(
        select(Story).where(Story.reporter_id == reporter_id, Story.submission_key == key)
    )


@dataclass
class _CheckedDraft:
    title: str
    pseudonym: str
    site: Site
    text: str | None
    upload_id: str
    has_audio: bool


def _check_draft(draft: StoryDraft) -> _CheckedDraft:
    """Check every answer on the form, and raise all the problems together."""
    problems = ProblemCollector()
    problems.check(lambda: _check_consent(draft.consent))
    title = problems.check(lambda: _required(draft.title, "title", "a title", 200))
    pseudonym = problems.check(
        lambda: _required(
            draft.storyteller_pseudonym, "storyteller_pseudonym", "the storyteller's pseudonym", 80
        )
    )
    problems.check(lambda: _check_choices(draft))
    site = problems.check(lambda: _active_site(draft.site_id))
    upload_id = (draft.upload_id or "").strip()
    has_audio = draft.audio is not None or bool(upload_id)
    if has_audio and ((draft.text or "").strip() or draft.text_file):
        problems.problems.append(
            InvalidInput(
                "Send either a recording or a written story, not both. Add the other as a "
                "separate story.",
                field="audio_file",
            )
        )
    text = None if has_audio else problems.check(lambda: _story_text_from(draft))
    problems.raise_if_any()
    assert title and pseudonym and site and (text or has_audio)
    return _CheckedDraft(title, pseudonym, site, text, upload_id, has_audio)


def submit_story(actor: User, draft: StoryDraft) -> Story:
    """Save a new story (text, or an audio recording) with its consent, then start its pipeline.

    The form's answers are checked before anything is written. A recording is streamed into
    storage with its SHA-256 and judged by its content; then the story, its text or recording
    and its consent are saved in one transaction, so a refused submission leaves nothing behind.
    The same submission key twice (a double click) gives back the first story.
    """
    if not policy.can_create_story(actor):
        raise NotAllowed("Only reporters submit stories.")
    key = (draft.submission_key or "").strip()
    if not key or len(key) > 64:
        raise InvalidInput("The form was incomplete. Reload the page and submit again.")
    existing = _existing_submission(actor.id, key)
    if existing is not None:
        return existing
    checked = _check_draft(draft)
    title, pseudonym, site, text = checked.title, checked.pseudonym, checked.site, checked.text
    upload_id, has_audio = checked.upload_id, checked.has_audio
    audio = _recording_from(actor, draft, upload_id) if has_audio else None

    story = Story(
        reporter_id=actor.id,
        site_id=site.id,
        title=title,
        story_type=draft.story_type,
        voice=draft.voice,
        storyteller_pseudonym=pseudonym,
        source_kind="audio" if audio else "text",
        status=StoryStatus.RECEIVED.value,
        submission_key=key,
    )
    if audio is not None:
        story.audio = audio
    else:
        assert text is not None
        story.texts.append(_text_version(text, version=1, origin="submitted", author=actor))
    story.consents.append(_consent_record(draft.consent, actor))
    db.session.add(story)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = _existing_submission(actor.id, key)
        if existing is None:
            raise
        if audio is not None:
            _storage().delete(audio.original_key)
        return existing
    record_event(
        AuditAction.STORY_SUBMITTED, actor_id=actor.id, target_type="story", target_id=story.id
    )
    db.session.commit()
    if upload_id:
        forget_upload(upload_id)  # its bytes are the story's original now
    start_pipeline(story)
    return story


def _recording_from(actor: User, draft: StoryDraft, upload_id: str) -> StoryAudio:
    """Save the recording from the form's file, or join a finished resumable upload."""
    if not upload_id:
        assert draft.audio is not None
        return _save_recording(draft.audio)
    with finished_upload(actor, upload_id) as joined:
        try:
            return _save_recording(AudioUpload(stream=joined))
        except InvalidInput:
            # Not a recording, or too large: the same bytes can never pass, so they go.
            forget_upload(upload_id)
            raise


def _storage() -> Storage:
    return current_app.extensions["storybank_storage"]


def _save_recording(upload: AudioUpload) -> StoryAudio:
    """Stream the upload into storage first, then judge it by its content."""
    limit = current_app.config["MAX_AUDIO_BYTES"]
    key = f"audio/{uuid.uuid4().hex}/original"
    storage = _storage()
    try:
        stored = storage.save_stream(key, upload.stream, max_bytes=limit)
    except StorageTooLarge as error:
        raise InvalidInput(
            f"The recording is larger than the {limit // (1024 * 1024)} MB limit. Split it into "
            "parts, or ask an admin to raise the limit.",
            field="audio_file",
            status=413,
        ) from error
    try:
        if stored.size == 0:
            raise AudioRejected("The file is empty (0 bytes). Upload the recording again.")
        with storage.local_path(key) as path:
            probe = probe_audio(path, max_seconds=current_app.config["MAX_AUDIO_SECONDS"])
    except AudioRejected as error:
        storage.delete(key)
        raise InvalidInput(error.message, field="audio_file") from error
    except BaseException:
        storage.delete(key)
        raise
    return StoryAudio(
        original_key=key,
        original_sha256=stored.sha256,
        original_size=stored.size,
        container=probe.format_name[:60],
        codec=probe.codec[:40],
        duration=probe.duration,
        sample_rate=probe.sample_rate,
        channels=probe.channels,
    )


def _text_version(text: str, *, version: int, origin: str, author: User | None) -> StoryText:
    return StoryText(
        version=version,
        origin=origin,
        body=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        created_by_id=author.id if author else None,
    )


def _consent_record(consent: ConsentAnswers, recorded_by: User) -> ConsentRecord:
    return ConsentRecord(
        processing=consent.processing,
        events=consent.events,
        research=consent.research,
        audio_at_events=consent.audio_at_events,
        given_on=consent.given_on,
        storyteller_name=(consent.storyteller_name or "").strip()[:120] or None,
        recorded_by_id=recorded_by.id,
    )


def read_original_text(actor: User, story_id: int, remote_addr: str | None = None) -> StoryText:
    """Return the unredacted text, writing the view to the audit log."""
    story = get_story(actor, story_id)
    if not policy.can_see_original(actor, story):
        raise NotFound
    text = story.current_text
    if text is None:
        raise NotFound
    record_event(
        AuditAction.VIEW_ORIGINAL,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        remote_addr=remote_addr,
        version=text.version,
    )
    db.session.commit()
    return text


@dataclass(frozen=True)
class StoryList:
    """Stories for a list page, with each one's jobs and confirmed themes where shown."""

    stories: list[Story]
    steps: dict[int, list[ProgressStep]]
    tags: dict[int, list[str]]


def show_my_stories(actor: User) -> StoryList:
    """Return the reporter's own stories with the progress of each."""
    stories = list_my_stories(actor)
    jobs = jobs_for_stories([s.id for s in stories])
    return StoryList(stories, {key: progress_steps(found) for key, found in jobs.items()}, {})


LIBRARY_PAGE_SIZE = 50


@dataclass(frozen=True)
class LibraryPage:
    """One page of the approved stories a person may see, with each one's confirmed themes."""

    found: StoryPage
    tags: dict[int, list[str]]


def show_library(actor: User, page: int = 1, per_page: int = LIBRARY_PAGE_SIZE) -> LibraryPage:
    """Return one page of the approved stories this user may see, newest first.

    A bounded number of queries whatever the number of stories: the count, the page (only the
    columns the page shows), its sites, and its themes."""
    query = _approved_visible_to(actor)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    stories = list(
        db.session.scalars(
            query.options(
                load_only(*_LIBRARY_COLUMNS),
                selectinload(Story.site).load_only(Site.name),
            )
            .order_by(Story.approved_at.desc(), Story.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    found = StoryPage(stories, page, pages, total)
    return LibraryPage(found, tags_for_stories([story.id for story in stories]))


# What the library card and policy.can_see_title read; anything else would load per story.
_LIBRARY_COLUMNS = (
    Story.id,
    Story.title,
    Story.story_type,
    Story.voice,
    Story.site_id,
    Story.status,
    Story.reporter_id,
    Story.approved_at,
)


def show_progress(actor: User, story_id: int) -> tuple[Story, list[ProgressStep]]:
    """Return a story this user may see and its stages, each once (for the page to poll)."""
    story = get_story(actor, story_id)
    return story, progress_steps(jobs_for_story(story.id))


def list_sites_for_new_story(actor: User) -> list[Site]:
    """Return the sites a reporter may choose for a new story; NotAllowed for anyone else."""
    if not policy.can_create_story(actor):
        raise NotAllowed("Only reporters submit stories.")
    return list_sites()


def list_my_stories(actor: User) -> list[Story]:
    """Return the reporter's own stories, newest first."""
    require_role(actor, Role.REPORTER)
    return list(
        db.session.scalars(
            select(Story).where(Story.reporter_id == actor.id).order_by(Story.id.desc())
        )
    )


def list_review_queue(actor: User) -> list[Story]:
    """Return stories waiting for review, oldest first."""
    if not policy.can_list_review_queue(actor):
        raise NotAllowed
    return list(
        db.session.scalars(
            select(Story).where(Story.status == StoryStatus.IN_REVIEW.value).order_by(Story.id)
        )
    )


def list_approved_stories(actor: User) -> list[Story]:
    """Return approved stories that this user's role and the consent allow, newest first."""
    query = _approved_visible_to(actor)
    return list(db.session.scalars(query.order_by(Story.approved_at.desc(), Story.id.desc())))


def _approved_visible_to(actor: User) -> Select[tuple[Story]]:
    """Approved stories that policy.can_see_story lets this user see, as SQL.

    Admins see every one; facilitators those whose newest consent record (the highest id, as
    Story.current_consent) keeps processing and events; researchers processing and research.
    An older record that allowed the use counts for nothing once a newer one withdrew it."""
    if not policy.can_list_approved(actor):
        raise NotAllowed
    query = select(Story).where(Story.status == StoryStatus.APPROVED.value)
    if has_role(actor, Role.ADMIN):
        return query
    use = ConsentRecord.events if has_role(actor, Role.FACILITATOR) else ConsentRecord.research
    newer = aliased(ConsentRecord)
    allowed = (
        select(ConsentRecord.id)
        .where(
            ConsentRecord.story_id == Story.id,
            ConsentRecord.processing.is_(True),
            use.is_(True),
            ~select(newer.id)
            .where(newer.story_id == ConsentRecord.story_id, newer.id > ConsentRecord.id)
            .exists(),
        )
        .exists()
    )
    return query.where(allowed)


def _reviewable_story(actor: User, story_id: int) -> Story:
    story = get_story(actor, story_id)
    if not policy.can_review(actor, story):
        raise NotAllowed("This story is not waiting for review.")
    return story


def _leave_review(story: Story, new_status: StoryStatus, **values: object) -> None:
    """Move a story out of review only if it is still in review, in one conditional UPDATE.

    Two reviewers clicking at once both pass the checks; the database lets only one UPDATE
    match, so the other gets a Conflict and writes no audit event.
    """
    moved = db.session.execute(
        update(Story)
        .where(Story.id == story.id, Story.status == StoryStatus.IN_REVIEW.value)
        .values(status=new_status.value, **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.rollback()
        raise Conflict("Someone else finished reviewing this story a moment ago. Reload the page.")
    db.session.refresh(story)


def approve_story(actor: User, story_id: int) -> Story:
    """Approve a story in review: signed-off redactions, and the storyteller's check if required."""
    story = _reviewable_story(actor, story_id)
    if not is_signed_off(story):
        raise Conflict("Review and sign off the redactions before approving the story.")
    require_storyteller_check(story)
    _leave_review(
        story,
        StoryStatus.APPROVED,
        approved_at=utcnow(),
        approved_by_id=actor.id,
        review_note=None,
    )
    record_event(
        AuditAction.STORY_APPROVED, actor_id=actor.id, target_type="story", target_id=story.id
    )
    run_story_hooks(story.id)
    db.session.commit()
    return story


def return_story(actor: User, story_id: int, note: str) -> Story:
    """Send a story back to its reporter with a note saying what to change."""
    story = _reviewable_story(actor, story_id)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Write a note telling the reporter what to change.", field="note")
    _leave_review(story, StoryStatus.RETURNED, review_note=note[:2000])
    record_event(
        AuditAction.STORY_RETURNED, actor_id=actor.id, target_type="story", target_id=story.id
    )
    db.session.commit()
    return story


def open_correction(actor: User, story_id: int, remote_addr: str | None = None) -> StoryText:
    """Return the text a reporter corrects for a story sent back to them (audited)."""
    story = get_story(actor, story_id)
    if not policy.can_resubmit(actor, story):
        raise NotAllowed("This story is not waiting for your changes.")
    return read_original_text(actor, story_id, remote_addr)


def resubmit_story(actor: User, story_id: int, text: str) -> Story:
    """Save the reporter's corrected text as a new version and run the pipeline again."""
    story = get_story(actor, story_id)
    if not policy.can_resubmit(actor, story):
        raise NotAllowed("This story is not waiting for your changes.")
    limit = current_app.config["MAX_TEXT_BYTES"]
    if len((text or "").encode("utf-8")) > limit:
        raise InvalidInput(f"The story is longer than the {limit // 1000} KB limit.", "text")
    cleaned = clean_story_text(text or "")
    if not cleaned:
        raise InvalidInput("The story is empty.", field="text")
    current = story.current_text
    version = (current.version if current else 0) + 1
    corrected = _text_version(cleaned, version=version, origin="correction", author=actor)
    if current is not None and current.timings is not None:
        # A recording's words the reporter left alone keep their place, so they can be beeped.
        corrected.timings = carry_timings(current.body, current.timings, cleaned)
    story.texts.append(corrected)
    record_event(
        AuditAction.STORY_RESUBMITTED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        version=version,
    )
    db.session.commit()
    rerun_after_text_change(story)
    return story


def retry_story(actor: User, story_id: int) -> Story:
    """Queue a failed story's failed stage again."""
    story = get_story(actor, story_id)
    if not policy.can_retry(actor, story):
        raise NotAllowed("Only a failed story can be retried, by its reporter or an admin.")
    stage = story.failed_stage
    record_event(
        AuditAction.STAGE_RETRIED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        stage=stage,
    )
    retry_failed_stage(story)
    return story


def list_sites(include_retired: bool = False) -> list[Site]:
    """Return the sites, by name."""
    query = select(Site).order_by(Site.name)
    if not include_retired:
        query = query.where(Site.is_active)
    return list(db.session.scalars(query))


def create_site(actor: User | None, name: str) -> Site:
    """Add a site (admins, or the command line when actor is None)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    name = _required(name, "name", "the site's name", 120)
    if db.session.scalar(select(Site.id).where(Site.name == name)) is not None:
        raise InvalidInput("There is already a site with that name.", field="name")
    site = Site(name=name)
    db.session.add(site)
    db.session.flush()
    record_event(
        AuditAction.SITE_CREATED,
        actor_id=actor.id if actor else None,
        target_type="site",
        target_id=site.id,
    )
    db.session.commit()
    return site


@dataclass(frozen=True)
class TranscriptScreen:
    """The original transcript in timed lines, and whether this user may correct it."""

    story: Story
    text: StoryText
    lines: list[TimedLine]
    can_correct: bool


def get_recorded_story(actor: User, story_id: int) -> Story:
    """Return a story told as a recording; a text story has no transcript, so it is not found."""
    story = get_story(actor, story_id)
    if not story.is_audio:
        raise NotFound
    return story


def read_transcript(actor: User, story_id: int, remote_addr: str | None = None) -> TranscriptScreen:
    """Return the original transcript laid out in timed lines (an audited view of the original)."""
    get_recorded_story(actor, story_id)
    text = read_original_text(actor, story_id, remote_addr)
    story = text.story
    lines = timed_lines(text.body, text.timings)
    return TranscriptScreen(story, text, lines, policy.can_correct_text(actor, story))


def correct_story_text(actor: User, story_id: int, new_text: str) -> StoryText:
    """Keep a person's correction as a new version, carry word timings, and rerun later stages.

    Words the correction left alone keep their exact timings.
    """
    story = get_story(actor, story_id)
    if not policy.can_correct_text(actor, story):
        raise NotAllowed("This story's text cannot be corrected now.")
    current = story.current_text
    if current is None:
        raise NotAllowed("This story has no text to correct yet.")
    limit = current_app.config["MAX_TEXT_BYTES"]
    if len((new_text or "").encode("utf-8")) > limit:
        raise InvalidInput(f"The text is longer than the {limit // 1000} KB limit.", "text")
    cleaned = clean_story_text(new_text or "")
    if not cleaned:
        raise InvalidInput("The text is empty. Undo your changes, or write what was said.", "text")
    if cleaned == current.body:
        return current
    version = _text_version(cleaned, version=current.version + 1, origin="correction", author=actor)
    if current.timings is not None:
        version.timings = carry_timings(current.body, current.timings, cleaned)
    story.texts.append(version)
    record_event(
        AuditAction.STORY_CORRECTED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        version=version.version,
    )
    db.session.commit()
    rerun_after_text_change(story)
    return version


AUDIO_MIMETYPES = {
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "matroska,webm": "audio/webm",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
}


@dataclass(frozen=True)
class AudioFile:
    """A recording to send: its storage key and its type."""

    key: str
    mimetype: str


def open_original_audio(
    actor: User, story_id: int, variant: str = "original", remote_addr: str | None = None
) -> AudioFile:
    """Return the unredacted recording (or its canonical WAV) for those who may hear it (audited).

    A player fetches a recording in many requests (whole, or in ranges from anywhere), so a
    request's headers cannot say where a play starts. The audit is decided here instead: every
    fetch is covered by a view_original event of this user, story and recording written within
    the last AUDIO_PLAY_WINDOW, or it writes one. However it is fetched, no byte leaves unaudited.
    """
    story = get_story(actor, story_id)
    if not policy.can_see_original(actor, story) or story.audio is None:
        raise NotFound
    audio = story.audio
    if variant == "canonical":
        if not audio.canonical_key:
            raise NotFound
        key, mimetype = audio.canonical_key, "audio/wav"
    else:
        key, mimetype = audio.original_key, AUDIO_MIMETYPES.get(audio.container, "audio/mpeg")
    what = f"audio-{variant}"
    if not _play_is_audited(actor, story, what):
        record_event(
            AuditAction.VIEW_ORIGINAL,
            actor_id=actor.id,
            target_type="story",
            target_id=story.id,
            remote_addr=remote_addr,
            what=what,
        )
        db.session.commit()
    return AudioFile(key=key, mimetype=mimetype)


AUDIO_PLAY_WINDOW = timedelta(minutes=10)


def _play_is_audited(actor: User, story: Story, what: str) -> bool:
    """Whether this user's fetch of this recording falls in a play already in the audit log."""
    since = utcnow() - AUDIO_PLAY_WINDOW
    recent = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.VIEW_ORIGINAL.value,
            AuditEvent.actor_id == actor.id,
            AuditEvent.target_type == "story",
            AuditEvent.target_id == story.id,
            AuditEvent.at >= since,
        )
    )
    return any((event.details or {}).get("what") == what for event in recent)


class _Screen:
    """A page's data as template variables."""

    def context(self) -> dict[str, object]:
        """The screen as template variables."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class StoryScreen(_Screen):
    """Everything the story page shows one user, decided here rather than in the view."""

    story: Story
    steps: list[ProgressStep]
    can_see_progress: bool
    can_see_original: bool
    can_retry: bool
    can_resubmit: bool
    can_review: bool
    released_text: str | None
    redacted_audio: bool
    themes: list[ThemeView]
    can_decide_themes: bool
    use: StoryUse | None


def show_story(actor: User, story_id: int) -> StoryScreen:
    """Return what the story page shows this user. Text shown here is anonymised only."""
    story = get_story(actor, story_id)
    themes = story_themes(actor, story.id)
    return StoryScreen(
        story=story,
        steps=progress_steps(jobs_for_story(story.id)),
        can_see_progress=policy.can_see_progress(actor, story),
        can_see_original=policy.can_see_original(actor, story),
        can_retry=policy.can_retry(actor, story),
        can_resubmit=policy.can_resubmit(actor, story),
        can_review=policy.can_review(actor, story),
        released_text=released_text_of(story),
        redacted_audio=can_play_redacted_audio(actor, story),
        themes=themes,
        can_decide_themes=theme_policy.can_decide_themes(actor, story),
        use=story_use(actor, story.id),
    )


@dataclass(frozen=True)
class ReviewScreen(_Screen):
    """What a reviewer reads: the original (its view audited), sign-off and themes."""

    story: Story
    text: StoryText
    signed_off: bool
    themes: list[ThemeView]
    can_decide_themes: bool


def open_review(actor: User, story_id: int, remote_addr: str | None = None) -> ReviewScreen:
    """Open a story in review for a reviewer; NotAllowed when it is not waiting for review."""
    story = _reviewable_story(actor, story_id)
    text = read_original_text(actor, story.id, remote_addr)
    return ReviewScreen(
        story=story,
        text=text,
        signed_off=is_signed_off(story),
        themes=story_themes(actor, story.id),
        can_decide_themes=theme_policy.can_decide_themes(actor, story),
    )


def list_all_stories(
    actor: User, filters: StoryFilters, page: int = 1, per_page: int = 50
) -> StoryPage:
    """Return one page of every story for an admin, narrowed by status, site, reporter, consent."""
    if not policy.can_list_all_stories(actor):
        raise NotAllowed
    return query_stories(filters, page, per_page)
