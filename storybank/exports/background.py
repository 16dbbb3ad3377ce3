"""A research export made in the background: start it, follow it, retry it, download it.

The worker records the manifest and the audit event when the job runs (so the export uses the
consent of that moment), writes the file into storage with its progress, and keeps it until
it expires. When the file is made, and again before each download, the stories it holds are
checked: if any may no longer be exported, the file is deleted and the job asks for a new
export instead.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from storybank.accounts.models import User
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotFound
from storybank.core.storage import Storage
from storybank.exports import jobs
from storybank.exports import policy
from storybank.exports import services
from storybank.exports.models import OutputJob
from storybank.extensions import db
from storybank.search.params import query_from_args
from storybank.search.params import query_to_params
from storybank.search.query import SearchQuery

EXPORT = "export"
WITHDRAWN = (
    "A story in this export may no longer be exported (its storyteller changed their consent), "
    "so the file was deleted. Make the export again: it will leave that story out."
)
GONE = "This export is no longer kept (files are kept for a day). Make the export again."


@dataclass(frozen=True)
class ExportDownload:
    """A finished export, ready to stream from storage."""

    filename: str
    content_type: str
    chunks: Iterator[bytes]


def may_use_export_job(actor: User, job: OutputJob) -> bool:
    """The job's maker may still export, and the format still exists."""
    return policy.can_export(actor) and job.kind in services.KINDS


def _storage() -> Storage:
    return current_app.extensions["storybank_storage"]


def _query(job: OutputJob) -> SearchQuery:
    try:
        return query_from_args(MultiDict([(name, value) for name, value in job.params]))
    except InvalidInput as error:
        raise jobs.OutputFailed(error.message) from None


def _make(job: OutputJob, actor: User, report: jobs.Report) -> None:
    """Record the manifest, write the file with its progress, keep it in storage."""
    kind = services.KINDS[job.kind]
    report(0.05)
    manifest = services.record_manifest(actor, _query(job), kind)
    report(0.1)
    written: list[int] = []
    filename = services.export_filename(manifest, kind)

    def counted(fraction: float) -> None:
        report(0.1 + 0.85 * fraction)

    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, dir=services.temp_dir()) as spool:
        services.write_manifest_file(manifest.id, kind, spool, written, counted)  # type: ignore[arg-type]
        spool.seek(0)
        key = f"exports/{job.id}/{filename}"
        stored = _storage().save_stream(key, spool)  # type: ignore[arg-type]
    job = db.session.get(OutputJob, job.id) or job
    job.result_id = manifest.id
    job.storage_key = stored.key
    job.filename = filename
    job.size = stored.size
    job.story_ids = written


def stories_still_exportable(job: OutputJob) -> bool:
    """Every story in the export may still be exported now."""
    return services.still_exportable(job.story_ids or [])


jobs.register_output(
    EXPORT,
    jobs.OutputType(
        make=_make, may_use=may_use_export_job, stories_still_usable=stories_still_exportable
    ),
)


def start_export(actor: User | None, query: SearchQuery, kind: str) -> OutputJob:
    """Queue an export of what the search finds, in one format; return its job."""
    services.export_kind(kind)
    services.require_export(actor)
    assert actor is not None
    params = [[name, value] for name, value in query_to_params(query)]
    return jobs.queue_output_job(actor, EXPORT, kind, params=params)


def get_export_job(actor: User | None, job_id: int) -> OutputJob:
    """Return the actor's own export job; NotFound for anyone else's."""
    if actor is None or not policy.can_export(actor):
        raise NotFound
    return jobs.get_output_job(actor, job_id, EXPORT)


def retry_export(actor: User | None, job_id: int) -> OutputJob:
    """Queue a failed export again."""
    get_export_job(actor, job_id)
    assert actor is not None
    return jobs.retry_output_job(actor, job_id, EXPORT)


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(services.CHUNK):
            yield chunk


def download_export(actor: User | None, job_id: int) -> ExportDownload:
    """Hand over a finished export, once its stories are checked again; NotFound until ready.

    Raises jobs.OutputFailed (and the job shows it) when the file is gone or may not leave.
    """
    job = get_export_job(actor, job_id)
    if job.status != jobs.DONE:
        raise NotFound
    if job.storage_key is None or not _storage().exists(job.storage_key):
        jobs.drop_file(job, GONE)
        db.session.commit()
        raise jobs.OutputFailed(GONE)
    if not jobs.stories_still_usable(job):
        jobs.drop_file(job, WITHDRAWN)
        db.session.commit()
        raise jobs.OutputFailed(WITHDRAWN)
    handle = _storage().open(job.storage_key)
    jobs.mark_downloaded(job)
    db.session.commit()
    kind = services.KINDS[job.kind]
    return ExportDownload(job.filename or "export", kind.content_type, _chunks(handle))


def my_export_jobs(actor: User | None, limit: int = 10) -> list[OutputJob]:
    """The actor's recent export jobs, newest first."""
    services.require_export(actor)
    assert actor is not None
    query = (
        select(OutputJob)
        .where(OutputJob.what == EXPORT, OutputJob.user_id == actor.id)
        .order_by(OutputJob.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
