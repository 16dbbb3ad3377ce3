"""A real `storybank worker` process runs queued stories, and resumes a dead worker's job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storybank.core.db import utcnow
from storybank.extensions import db
from storybank.pipeline.models import Job
from storybank.stories.models import Story
from tests.conftest import database_url
from tests.factories import Factories

pytestmark = pytest.mark.slow


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def queued_app(make_app, tmp_path: Path):
    queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL=queue_url)
    return app, queue_url


def _start_worker(test_root: Path, queue_url: str, media: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "STORYBANK_DATABASE_URL": database_url(test_root),
        "STORYBANK_QUEUE_URL": queue_url,
        "STORYBANK_MEDIA_URL": f"file://{media}",
        "STORYBANK_SECRET_KEY": "worker-test-key",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "storybank.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(worker: subprocess.Popen) -> str:
    worker.send_signal(signal.SIGINT)
    try:
        output, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output


def _status(app, story_id: int) -> str:
    with app.app_context():
        return db.session.get(Story, story_id).status


def test_worker_process_takes_a_story_from_the_queue_to_review(queued_app, test_root, tmp_path):
    app, queue_url = queued_app
    with app.app_context():
        factories = Factories(app)
        story = factories.story(factories.user("reporter"))
        story_id = story.id
        assert story.status == "received"
    worker = _start_worker(test_root, queue_url, tmp_path / "media")
    try:
        reached = _wait_for(lambda: _status(app, story_id) == "in_review")
    finally:
        output = _stop(worker)
    assert reached, output
    with app.app_context():
        query = db.select(Job).where(Job.story_id == story_id).order_by(Job.id)
        jobs = db.session.scalars(query).all()
        assert [(job.stage, job.status) for job in jobs] == [
            ("ingest", "done"),
            ("anonymise", "done"),
            ("tag", "done"),
        ]
        assert all(job.worker.split(":")[1] == str(worker.pid) for job in jobs)


def test_worker_resumes_the_job_of_a_worker_that_crashed(queued_app, test_root, tmp_path):
    app, queue_url = queued_app
    with app.app_context():
        factories = Factories(app)
        story = factories.story(factories.user("reporter"))
        story_id = story.id
        # A worker claimed the job and then died: its process no longer exists, and the
        # queue message is gone with it.
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        query = db.select(Job).where(Job.story_id == story_id).order_by(Job.id)
        job = db.session.scalars(query).first()
        import socket

        job.status = "running"
        job.worker = f"{socket.gethostname()}:{dead.pid}"
        job.attempts = 1
        job.heartbeat_at = utcnow()
        db.session.commit()
        app.extensions["storybank_queue"].huey.storage.flush_queue()
    worker = _start_worker(test_root, queue_url, tmp_path / "media")
    try:
        reached = _wait_for(lambda: _status(app, story_id) == "in_review")
    finally:
        output = _stop(worker)
    assert reached, output
    assert "Resumed 1 job" in output
