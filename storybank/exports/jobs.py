"""Files made in the background (pack renders, research exports): queue one, run it on the
worker with its progress, fail it with a reason a person can act on, retry it, expire it.

Each kind of output registers how to make its file and who may still use it; the queue
message is the job's id and nothing else. Only the person who asked sees a job: anyone else
gets the same 404 as for a job that does not exist.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from flask import current_app
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from storybank.accounts.models import User
from storybank.core.db import utcnow
from storybank.core.errors import NotFound
from storybank.core.progress import Report
from storybank.core.progress import throttled
from storybank.core.storage import Storage
from storybank.exports.models import OutputJob
from storybank.extensions import db

log = logging.getLogger(__name__)

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
STATUS_LABELS = {
    QUEUED: "Waiting to start",
    RUNNING: "Being made",
    DONE: "Ready",
    FAILED: "Stopped",
}
# A made file is kept this long (a day) unless it is downloaded first; then for DOWNLOAD_GRACE.
KEEP_SECONDS = 24 * 3600
DOWNLOAD_GRACE = timedelta(hours=1)
CHANGED = "A story changed while the file was being made. Make it again."
NOT_QUEUED = "The job could not be queued. Try again."
NOT_STARTED = "The job waited more than two hours without starting. Try again."
_PROGRESS_STEP = 0.02
_TASK = "storybank_output_task"


class OutputFailed(Exception):
    """Making a file failed for a reason its maker can act on (the message says how)."""


@dataclass(frozen=True)
class OutputType:
    """How to make one kind of output, whether its maker may still use it, and whether the
    stories in its file may all still be in it (checked before it is done and at download)."""

    make: Callable[[OutputJob, User, Report], None]
    may_use: Callable[[User, OutputJob], bool]
    stories_still_usable: Callable[[OutputJob], bool]


OUTPUTS: dict[str, OutputType] = {}


def register_output(what: str, output: OutputType) -> None:
    """Say how jobs of this kind ("pack", "export") are made and who may still use them."""
    OUTPUTS[what] = output


def init_app(app: Flask) -> None:
    """Register the task that runs an output job on the app's queue (once per app)."""
    if _TASK in app.extensions:
        return
    queue = app.extensions["storybank_queue"]

    def run_output_job_in_app(job_id: int) -> None:
        with app.app_context():
            run_output_job(job_id)

    app.extensions[_TASK] = queue.huey.task(name="storybank.run_output_job")(run_output_job_in_app)


def _storage() -> Storage:
    return current_app.extensions["storybank_storage"]


def _enqueue(job_id: int) -> None:
    if not isinstance(job_id, int):
        raise TypeError("queue payloads are job IDs only")
    current_app.extensions[_TASK](job_id)


def _send_to_queue(job_id: int) -> None:
    """Queue the committed job; if the queue refuses, fail the job so that Retry shows."""
    try:
        _enqueue(job_id)
    except Exception as error:
        log.error("output job %s could not be queued: %s", job_id, type(error).__name__)
        _fail(job_id, NOT_QUEUED)


def queue_output_job(
    actor: User,
    what: str,
    kind: str,
    event_id: int | None = None,
    params: list[list[str]] | None = None,
) -> OutputJob:
    """Save a job for the actor and queue it (policy is checked by the calling service)."""
    sweep_expired_outputs()
    job = OutputJob(
        user_id=actor.id,
        what=what,
        kind=kind,
        event_id=event_id,
        params=params or [],
        status=QUEUED,
        progress=0.0,
        attempts=0,
        story_ids=[],
        size=0,
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    _send_to_queue(job_id)
    return _reloaded(job_id)


def _reloaded(job_id: int) -> OutputJob:
    db.session.expire_all()
    job = db.session.get(OutputJob, job_id)
    if job is None:
        raise NotFound
    return job


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def _waiting_limit() -> timedelta:
    # On a laptop one worker also transcribes: a file may wait behind an hour of recordings
    # without anything being wrong. Past this, its queue message is taken to be lost.
    return max(timedelta(hours=2), 6 * _lease())


def _fail_if_abandoned(job: OutputJob) -> None:
    """A running job whose heartbeat stopped lost its worker, and a job no worker took up
    within the lease was lost on the way to the queue: say so, so it can be retried."""
    now = utcnow()
    if job.status == RUNNING and job.heartbeat_at and now - job.heartbeat_at > _lease():
        _fail(job.id, "The worker stopped while making this file. Retry it.")
        db.session.refresh(job)
    elif job.status == QUEUED and job.queued_at and now - job.queued_at > _waiting_limit():
        _fail(job.id, NOT_STARTED)
        db.session.refresh(job)


def get_output_job(actor: User, job_id: int, what: str) -> OutputJob:
    """Return the actor's own job of this kind; NotFound for anyone else's, or a missing one."""
    job = db.session.get(OutputJob, job_id)
    output = OUTPUTS.get(what)
    if job is None or output is None or job.what != what or job.user_id != actor.id:
        raise NotFound
    if not output.may_use(actor, job):
        raise NotFound
    _fail_if_abandoned(job)
    return job


def retry_output_job(actor: User, job_id: int, what: str) -> OutputJob:
    """Queue a failed job again; a job that has not failed is left as it is.

    Only the click whose UPDATE finds the job still failed queues it, so two clicks at once
    queue it once.
    """
    get_output_job(actor, job_id, what)
    result = db.session.execute(
        update(OutputJob)
        .where(OutputJob.id == job_id, OutputJob.status == FAILED)
        .values(status=QUEUED, progress=0.0, error=None, queued_at=utcnow(), finished_at=None),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    if result.rowcount == 1:
        _send_to_queue(job_id)
    return _reloaded(job_id)


def _claim(job_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(OutputJob)
        .where(OutputJob.id == job_id, OutputJob.status == QUEUED)
        .values(
            status=RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=OutputJob.attempts + 1,
            error=None,
        )
    )
    db.session.commit()
    return result.rowcount == 1


def progress_reporter(job_id: int) -> Report:
    """Return a function that records the job's progress (0 to 1), at most every 2%.

    It commits: call it only between steps, with nothing half-written.
    """

    def write(fraction: float) -> None:
        # Makers report between steps, with nothing half-written: end the read first, so
        # that SQLite lets the update through.
        db.session.commit()
        db.session.execute(
            update(OutputJob)
            .where(OutputJob.id == job_id)
            .values(progress=fraction, heartbeat_at=utcnow())
        )
        db.session.commit()

    return throttled(write, _PROGRESS_STEP)


def _fail(job_id: int, reason: str) -> None:
    db.session.rollback()
    job = db.session.get(OutputJob, job_id)
    if job is None:
        return
    job.status = FAILED
    job.error = reason[:500]
    job.finished_at = utcnow()
    db.session.commit()


def run_output_job(job_id: int) -> None:
    """Make one job's file. A second delivery of the same job does nothing."""
    if not _claim(job_id):
        return
    job = db.session.get(OutputJob, job_id)
    assert job is not None
    output = OUTPUTS.get(job.what)
    actor = db.session.get(User, job.user_id)
    if output is None or actor is None:
        _fail(job_id, "Storybank cannot make this kind of file any more. Ask an admin.")
        return
    if not output.may_use(actor, job):
        _fail(job_id, "You may no longer make this file. Ask an admin if you still need it.")
        return
    try:
        output.make(job, actor, progress_reporter(job_id))
    except OutputFailed as error:
        log.warning("output job %s (%s) failed: %s", job_id, job.what, type(error).__name__)
        _fail(job_id, str(error))
        return
    except Exception as error:
        # Log the frames but not the message: messages can quote story text.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("output job %s crashed: %s\n%s", job_id, type(error).__name__, frames)
        _fail(
            job_id,
            f"Making the file stopped with an unexpected error ({type(error).__name__}). "
            f"Retry it; if it fails again, ask an admin to check the worker log for job {job_id}.",
        )
        return
    if not _stories_still_usable(output, job):
        # A story erased or withdrawn while the file was made: erasure and withdrawal only
        # see files already done, so this file is checked here before it is.
        if job.storage_key:
            _storage().delete(job.storage_key)
        _fail(job_id, CHANGED)
        return
    job.status = DONE
    job.progress = 1.0
    job.finished_at = utcnow()
    job.expires_at = job.finished_at + timedelta(
        seconds=current_app.config.get("OUTPUT_KEEP_SECONDS", KEEP_SECONDS)
    )
    db.session.commit()


def _stories_still_usable(output: OutputType, job: OutputJob) -> bool:
    job_id = job.id
    # Keep what make wrote, then read every story afresh rather than as make saw it.
    db.session.flush()
    db.session.expire_all()
    job = db.session.get(OutputJob, job_id) or job
    return output.stories_still_usable(job)


def stories_still_usable(job: OutputJob) -> bool:
    """Whether every story in the job's file may still be in it (the download's check)."""
    output = OUTPUTS.get(job.what)
    return output is not None and output.stories_still_usable(job)


def mark_downloaded(job: OutputJob) -> None:
    """Note a download; the file stays a short while, for a download that broke off."""
    now = utcnow()
    job.downloaded_at = now
    if job.expires_at is None or job.expires_at > now + DOWNLOAD_GRACE:
        job.expires_at = now + DOWNLOAD_GRACE


def drop_file(job: OutputJob, reason: str | None = None) -> None:
    """Delete the job's file; with a reason, the job shows as failed with it, so its maker
    can make it again.

    Without a reason (the file expired), a file that another job still offers (a pack's
    render, reused) stays until the last of them expires.
    """
    key = job.storage_key
    if key and (reason or not _held_by_another_job(job)):
        _storage().delete(key)
    job.storage_key = None
    if reason:
        job.status = FAILED
        job.error = reason[:500]


def _held_by_another_job(job: OutputJob) -> bool:
    others = db.session.scalar(
        select(func.count(OutputJob.id)).where(
            OutputJob.storage_key == job.storage_key,
            OutputJob.id != job.id,
            OutputJob.status == DONE,
            or_(OutputJob.expires_at.is_(None), OutputJob.expires_at >= utcnow()),
        )
    )
    return bool(others)


def sweep_expired_outputs() -> int:
    """Delete the files of jobs past their time; return how many went. Does not commit."""
    expired = db.session.scalars(
        select(OutputJob)
        .where(OutputJob.expires_at < utcnow(), OutputJob.storage_key.is_not(None))
        .order_by(OutputJob.id)
    ).all()
    count = 0
    for job in expired:
        drop_file(job)
        count += 1
    return count


def drop_files_holding(story_id: int) -> int:
    """Delete every export file that holds the story (erasure); return how many went."""
    jobs = db.session.scalars(
        select(OutputJob).where(OutputJob.what == "export", OutputJob.storage_key.is_not(None))
    )
    count = 0
    for job in jobs:
        if story_id in (job.story_ids or []):
            drop_file(job, "A story in this export was erased. Make the export again.")
            count += 1
    return count
