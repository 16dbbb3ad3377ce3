"""A pack's PDF or document made in the background: start it, follow it, retry it, download it.

The worker renders from the pack as it stands when the job runs, so a story whose consent
for events went before then is not in the file; its manifest and audit event are written
then, as for a render made in the page. The file is the pack's cached render, which is
deleted the moment any story leaves the pack. A story that leaves while the file is being
made fails the job, and each download checks the stories again, so no download hands out a
story that may no longer be used. The file expires like an export's.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from storybank.accounts.models import User
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.storage import Storage
from storybank.curate import outputs
from storybank.curate import policy
from storybank.curate.models import Event
from storybank.curate.models import PackRender
from storybank.exports import jobs
from storybank.exports.models import OutputJob
from storybank.extensions import db
from storybank.stories.models import Story

PACK = "pack"
WITHDRAWN = (
    "A story in this file may no longer be used at events (it left the pack, or its "
    "storyteller changed their consent), so the file was deleted. Make it again: it will "
    "leave that story out."
)
GONE = (
    "This file is no longer kept: the pack changed after it was made (a story left it), or it "
    "expired. Make it again."
)


@dataclass(frozen=True)
class PackDownload:
    """A finished pack file, ready to send."""

    data: bytes
    filename: str
    mimetype: str
    as_attachment: bool


def _event_of(job: OutputJob) -> Event | None:
    return db.session.get(Event, job.event_id) if job.event_id is not None else None


def may_use_pack_job(actor: User, job: OutputJob) -> bool:
    """The job's maker still runs events and its event is still there."""
    event = _event_of(job)
    return event is not None and policy.can_see_pack(actor, event)


def _make(job: OutputJob, actor: User, report: jobs.Report) -> None:
    """Render the pack for the job (the worker calls this)."""
    event = _event_of(job)
    if event is None:
        raise jobs.OutputFailed("The event was deleted, so its pack cannot be made.")
    report(0.05)
    made = outputs.make_pack_file(actor, event, job.kind, report)
    job.result_id = made.render.id
    job.storage_key = made.render.storage_key
    job.filename = outputs.pack_filename(event, job.kind)
    job.size = made.render.size
    job.story_ids = made.story_ids


def stories_still_in_pack(job: OutputJob) -> bool:
    """Every story in the file is still in the event's pack, not erased, and may still be
    used at events; a recording the file offers may still be played there."""
    event = _event_of(job)
    if event is None:
        return False
    in_pack = {entry.story_id for entry in event.pack.entries}
    render = db.session.get(PackRender, job.result_id) if job.result_id is not None else None
    with_audio = {
        item["story_id"]
        for item in (render.manifest.get("stories", []) if render is not None else [])
        if item.get("audio_at_events")
    }
    for story_id in job.story_ids or []:
        story = db.session.get(Story, story_id)
        if story is None or story_id not in in_pack or not policy.may_go_in_a_pack(story):
            return False
        if story_id in with_audio and not policy.may_play_at_events(story):
            return False
    return True


jobs.register_output(
    PACK,
    jobs.OutputType(
        make=_make, may_use=may_use_pack_job, stories_still_usable=stories_still_in_pack
    ),
)


def start_pack_render(actor: User, event_id: int, kind: str) -> OutputJob:
    """Queue the pack's PDF or document for the actor; return its job."""
    if kind not in outputs.KINDS:
        raise NotFound
    event = outputs.readable_pack(actor, event_id)
    return jobs.queue_output_job(actor, PACK, kind, event_id=event.id)


def get_pack_render(actor: User, event_id: int, job_id: int) -> OutputJob:
    """Return the actor's own render job for this event; NotFound otherwise."""
    try:
        outputs.readable_pack(actor, event_id)
    except NotAllowed:
        raise NotFound from None
    job = jobs.get_output_job(actor, job_id, PACK)
    if job.event_id != event_id:
        raise NotFound
    return job


def retry_pack_render(actor: User, event_id: int, job_id: int) -> OutputJob:
    """Queue a failed render again."""
    get_pack_render(actor, event_id, job_id)
    return jobs.retry_output_job(actor, job_id, PACK)


def _storage() -> Storage:
    return current_app.extensions["storybank_storage"]


def download_pack_render(actor: User, event_id: int, job_id: int) -> PackDownload:
    """Hand over a finished render (audited as a download); NotFound until it is ready.

    Raises jobs.OutputFailed (and the job shows it) when the file is no longer kept.
    """
    job = get_pack_render(actor, event_id, job_id)
    if job.status != jobs.DONE:
        raise NotFound
    render = db.session.scalar(select(PackRender).where(PackRender.id == job.result_id))
    key = render.storage_key if render is not None else None
    if render is None or key is None or key != job.storage_key or not _storage().exists(key):
        jobs.drop_file(job, GONE)
        db.session.commit()
        raise jobs.OutputFailed(GONE)
    if not jobs.stories_still_usable(job):
        jobs.drop_file(job, WITHDRAWN)
        render.storage_key = None
        db.session.commit()
        raise jobs.OutputFailed(WITHDRAWN)
    data = outputs.read_render(render)
    record_event(
        AuditAction.PACK_DOWNLOADED,
        actor_id=actor.id,
        target_type="pack",
        target_id=render.pack_id,
        kind=job.kind,
    )
    jobs.mark_downloaded(job)
    db.session.commit()
    mimetype, _ = outputs.KINDS[job.kind]
    return PackDownload(data, job.filename or "pack", mimetype, job.kind == "docx")


def latest_pack_renders(actor: User, event_id: int) -> list[OutputJob]:
    """The actor's own recent render jobs for this event, newest first."""
    outputs.readable_pack(actor, event_id)
    query = (
        select(OutputJob)
        .where(OutputJob.what == PACK, OutputJob.event_id == event_id)
        .where(OutputJob.user_id == actor.id)
        .order_by(OutputJob.id.desc())
        .limit(5)
    )
    return list(db.session.scalars(query))
