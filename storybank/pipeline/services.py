"""Run the pipeline: start it, run one job, fail visibly, retry, and resume abandoned work."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update

from storybank.core.db import utcnow
from storybank.core.erasure import sweep_erased_story
from storybank.core.progress import Report
from storybank.core.progress import throttled
from storybank.core.storage import UPLOAD_GRACE_SECONDS
from storybank.core.storage import SweepResult
from storybank.extensions import db
from storybank.pipeline.models import Job
from storybank.pipeline.models import JobStatus
from storybank.pipeline.processes import HOST
from storybank.pipeline.processes import is_worker_gone
from storybank.pipeline.processes import worker_identity
from storybank.pipeline.stages import JOB_STATUS_LABELS
from storybank.pipeline.stages import STAGE_NAMES
from storybank.pipeline.stages import STAGES
from storybank.pipeline.stages import JobCancelled
from storybank.pipeline.stages import Stage
from storybank.pipeline.stages import StageError
from storybank.pipeline.stages import move_story
from storybank.pipeline.stages import stage_after
from storybank.pipeline.stages import stage_label
from storybank.stories.models import Story
from storybank.stories.models import StoryStatus

log = logging.getLogger(__name__)

_HOST = HOST
# Write progress at most this often, so a fast stage does not hammer the database.
_PROGRESS_STEP = 0.02


def worker_name() -> str:
    """Name this process (host, PID, start time), so a crashed worker's jobs are recognised."""
    return worker_identity()


def _queue():
    return current_app.extensions["storybank_queue"]


def _enqueue_after_commit(job_ids: list[int]) -> None:
    # Jobs are saved before they are queued: a crash between the two leaves a queued row that
    # the resume sweep picks up, never a queue message without a row.
    for job_id in job_ids:
        _queue().enqueue(job_id)


def _new_job(story: Story, stage: Stage) -> Job:
    job = Job(story_id=story.id, stage=stage.name, status=JobStatus.QUEUED.value)
    db.session.add(job)
    move_story(story, stage.running_status)
    return job


def start_pipeline(story: Story, after_stage: str | None = None) -> None:
    """Queue the story's next stage; with no stage left, send it to review. Commits."""
    stage = stage_after(story, after_stage)
    if stage is None:
        move_story(story, StoryStatus.IN_REVIEW)
        db.session.commit()
        return
    job = _new_job(story, stage)
    db.session.commit()
    _enqueue_after_commit([job.id])


def rerun_after_text_change(story: Story) -> None:
    """Run the stages that depend on the text again, on its newest version. Commits.

    A written story starts again from ingest (which checks the new version); a recording is not
    transcribed again, so the stages after transcription run on the corrected transcript.
    """
    start_pipeline(story, after_stage="transcribe" if story.is_audio else None)


def jobs_for_story(story_id: int) -> list[Job]:
    """Return the story's jobs, oldest first (the story page shows them)."""
    return list(db.session.scalars(select(Job).where(Job.story_id == story_id).order_by(Job.id)))


@dataclass(frozen=True)
class ProgressStep:
    """One stage as a person follows it: its latest job only, in words."""

    stage: str
    label: str
    status: str
    status_label: str
    progress: float
    attempts: int
    error: str | None


def progress_steps(jobs: list[Job]) -> list[ProgressStep]:
    """The stages in pipeline order, each once: a stage run again (after a correction, or a
    retry) shows its newest job."""
    latest: dict[str, Job] = {}
    for job in sorted(jobs, key=lambda job: job.id):
        latest[job.stage] = job
    order = {stage.name: index for index, stage in enumerate(STAGES)}
    return [
        ProgressStep(
            stage=job.stage,
            label=stage_label(job.stage),
            status=job.status,
            status_label=JOB_STATUS_LABELS.get(job.status, job.status),
            progress=job.progress,
            attempts=job.attempts,
            error=job.error,
        )
        for job in sorted(latest.values(), key=lambda job: order.get(job.stage, len(order)))
    ]


def jobs_for_stories(story_ids: list[int]) -> dict[int, list[Job]]:
    """Return each story's jobs, oldest first, in one query (for lists of stories)."""
    jobs: dict[int, list[Job]] = {story_id: [] for story_id in story_ids}
    if story_ids:
        query = select(Job).where(Job.story_id.in_(story_ids)).order_by(Job.id)
        for job in db.session.scalars(query):
            jobs[job.story_id].append(job)
    return jobs


def _claim(job_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
        .values(
            status=JobStatus.RUNNING.value,
            worker=worker_name(),
            started_at=now,
            heartbeat_at=now,
            attempts=Job.attempts + 1,
            error=None,
        )
    )
    db.session.commit()
    return result.rowcount == 1


def _progress_reporter(job_id: int) -> Report:
    def write(fraction: float) -> None:
        # End the handler's read transaction first, so the update sees an erasure since then.
        db.session.commit()
        result = db.session.execute(
            update(Job).where(Job.id == job_id).values(progress=fraction, heartbeat_at=utcnow())
        )
        db.session.commit()
        if result.rowcount == 0:
            raise JobCancelled

    return throttled(write, _PROGRESS_STEP)


def _stop_erased(job_id: int, story_id: int, stage: str) -> None:
    """The story was erased while its job ran: remove anything the job wrote."""
    db.session.rollback()
    sweep_erased_story(story_id)
    log.info("job %s (%s) stopped: its story was erased", job_id, stage)


def _fail(job_id: int, reason: str, story_id: int | None = None) -> None:
    db.session.rollback()
    job = db.session.get(Job, job_id)
    if job is None:
        if story_id is not None:  # erased while it ran: it failed because its rows are gone
            _stop_erased(job_id, story_id, "")
        return
    job.status = JobStatus.FAILED.value
    job.error = reason[:500]
    job.finished_at = utcnow()
    story = db.session.get(Story, job.story_id)
    if story is not None and story.status != StoryStatus.WITHDRAWN.value:
        move_story(story, StoryStatus.FAILED)
        story.failed_stage = job.stage
        story.failure_reason = reason[:500]
    db.session.commit()


def run_job(job_id: int) -> None:
    """Run one queued job. A second delivery of the same job does nothing."""
    if not _claim(job_id):
        return
    job = db.session.get(Job, job_id)
    assert job is not None
    stage = STAGE_NAMES.get(job.stage)
    story_id = job.story_id
    if stage is None:
        _fail(job_id, f"Storybank has no stage called {job.stage!r}. Ask an admin.")
        return
    try:
        stage.handler()(story_id, _progress_reporter(job_id))
    except JobCancelled:
        _stop_erased(job_id, story_id, stage.name)
        return
    except StageError as error:
        log.warning("job %s (%s) failed: %s", job_id, stage.name, type(error).__name__)
        _fail(job_id, str(error), story_id)
        return
    except Exception as error:
        # Log the frames but not the message: messages can quote story text.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("job %s (%s) crashed: %s\n%s", job_id, stage.name, type(error).__name__, frames)
        _fail(
            job_id,
            f"The {stage.name} stage stopped with an unexpected error ({type(error).__name__}). "
            "Retry it; if it fails again, ask an admin to check the worker log for job "
            f"{job_id}.",
            story_id,
        )
        return
    db.session.rollback()
    job = db.session.get(Job, job_id)
    story = db.session.get(Story, story_id)
    if job is None or story is None:
        _stop_erased(job_id, story_id, stage.name)
        return
    job.status = JobStatus.DONE.value
    job.progress = 1.0
    job.finished_at = utcnow()
    if story is None or story.status == StoryStatus.WITHDRAWN.value:
        db.session.commit()
        return
    story.failed_stage = None
    story.failure_reason = None
    start_pipeline(story, after_stage=stage.name)


def retry_failed_stage(story: Story) -> Job:
    """Queue the failed stage of a story again (policy is checked by the caller's service)."""
    job = db.session.scalar(
        select(Job)
        .where(Job.story_id == story.id, Job.stage == story.failed_stage)
        .order_by(Job.id.desc())
    )
    stage = STAGE_NAMES[story.failed_stage or ""]
    if job is None or job.status != JobStatus.FAILED.value:
        job = _new_job(story, stage)
    else:
        job.status = JobStatus.QUEUED.value
        job.progress = 0.0
        job.queued_at = utcnow()
        job.finished_at = None
        move_story(story, stage.running_status)
    story.failed_stage = None
    story.failure_reason = None
    db.session.commit()
    _enqueue_after_commit([job.id])
    return job


def resume_abandoned_jobs(requeue_waiting: bool = False) -> list[int]:
    """Put back jobs whose worker died; with requeue_waiting, queue every waiting job again.

    A job is abandoned when its worker process on this host is gone (a zombie, or its PID now
    another process's, included), or when its heartbeat is older than the lease (a worker on
    another machine, whose process cannot be checked from here). Re-queueing is safe: a job
    runs only once it is claimed, and stages are idempotent.
    """
    now = utcnow()
    lease = timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])
    max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
    resumed: list[int] = []
    running = db.session.scalars(select(Job).where(Job.status == JobStatus.RUNNING.value))
    for job in list(running):
        stale = job.heartbeat_at is None or now - job.heartbeat_at > lease
        if not (stale or is_worker_gone(job.worker)):
            continue
        if job.attempts >= max_attempts:
            _fail(
                job.id,
                f"The worker stopped {job.attempts} times while running the {job.stage} stage. "
                "Retry it, or ask an admin to check the worker's memory and logs.",
            )
            continue
        job.status = JobStatus.QUEUED.value
        job.worker = None
        resumed.append(job.id)
    db.session.commit()
    if requeue_waiting:
        waiting = db.session.scalars(select(Job.id).where(Job.status == JobStatus.QUEUED.value))
        resumed = sorted(set(resumed) | set(waiting))
    if resumed:
        log.info("resuming %d abandoned or waiting job(s)", len(resumed))
    _enqueue_after_commit(resumed)
    return resumed


def sweep_storage() -> SweepResult:
    """Remove half-written uploads and empty folders older than the grace period."""
    storage = current_app.extensions["storybank_storage"]
    grace = current_app.config.get("UPLOAD_GRACE_SECONDS", UPLOAD_GRACE_SECONDS)
    try:
        result = storage.sweep(grace)
    except Exception as error:  # housekeeping must never stop serve or a worker from starting
        log.warning("storage sweep failed (%s); it is tried again later", type(error).__name__)
        return SweepResult()
    if result.partial_uploads or result.empty_folders:
        log.info(
            "storage sweep removed %d half-written upload(s) and %d empty folder(s)",
            result.partial_uploads,
            result.empty_folders,
        )
    return result
