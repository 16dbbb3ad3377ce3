"""Bind the job queue to an app: each job runs inside an app context of its own."""

from __future__ import annotations

import logging

from flask import Flask

from storybank.core.jobs import TaskQueue
from storybank.core.jobs import huey_from_url
from storybank.exports.jobs import sweep_expired_outputs
from storybank.extensions import db
from storybank.pipeline.services import resume_abandoned_jobs
from storybank.pipeline.services import run_job
from storybank.pipeline.services import sweep_storage
from storybank.uploads.services import delete_expired_uploads

log = logging.getLogger(__name__)


def _expire_outputs() -> None:
    sweep_expired_outputs()
    db.session.commit()


def init_app(app: Flask) -> TaskQueue:
    """Build the app's queue from QUEUE_URL and register the pipeline's tasks on it."""
    huey = huey_from_url(app.config["QUEUE_URL"], immediate=app.config["QUEUE_IMMEDIATE"])

    def run_job_in_app(job_id: int) -> None:
        with app.app_context():
            run_job(job_id)

    def resume_jobs_in_app() -> None:
        with app.app_context():
            resume_abandoned_jobs()

    def sweep_storage_in_app() -> None:
        with app.app_context():
            for step in (delete_expired_uploads, _expire_outputs, sweep_storage):
                try:
                    step()
                except Exception as error:
                    db.session.rollback()
                    log.warning(
                        "housekeeping step %s failed (%s)", step.__name__, type(error).__name__
                    )

    queue = TaskQueue(huey, run_job_in_app, resume_jobs_in_app, sweep_storage_in_app)
    app.extensions["storybank_queue"] = queue
    return queue
