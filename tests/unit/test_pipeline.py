"""The pipeline: stages run as jobs, failures are visible and retryable, crashes resume."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from datetime import datetime
from datetime import timedelta

import pytest
from huey import MemoryHuey

from storybank.core.db import utcnow
from storybank.extensions import db
from storybank.pipeline import services as pipeline
from storybank.pipeline.models import Job
from storybank.pipeline.processes import read_stat
from storybank.pipeline.processes import worker_identity
from storybank.pipeline.stages import InvalidTransition
from storybank.pipeline.stages import StageError
from storybank.pipeline.stages import move_story
from storybank.stories.models import Story
from tests.conftest import post_form
from tests.conftest import public_id


def _jobs(story: Story, stage: str = "ingest") -> list[Job]:
    return [job for job in pipeline.jobs_for_story(story.id) if job.stage == stage]


def _all_jobs(story: Story) -> list[Job]:
    return pipeline.jobs_for_story(story.id)


def test_text_story_runs_ingest_and_waits_for_review(factories):
    story = factories.story(factories.user("reporter"))
    assert story.status == "in_review"
    stages = [(job.stage, job.status, job.progress, job.attempts) for job in _all_jobs(story)]
    assert stages == [
        ("ingest", "done", 1.0, 1),
        ("anonymise", "done", 1.0, 1),
        ("tag", "done", 1.0, 1),
    ]
    assert story.word_count == len(story.current_text.body.split())


def test_failing_stage_leaves_story_failed_with_its_reason(factories, monkeypatch):
    def broken(story_id, report_progress):
        raise StageError("The text could not be read. Submit it again.")

    monkeypatch.setattr("storybank.ingest.services.ingest_story", broken)
    story = factories.story(factories.user("reporter"))
    assert story.status == "failed"
    assert story.failed_stage == "ingest"
    assert story.failure_reason == "The text could not be read. Submit it again."
    [job] = _jobs(story)
    assert job.status == "failed"
    assert job.error == story.failure_reason


def test_unexpected_error_is_shown_without_its_message_or_story_text(
    factories, monkeypatch, caplog
):
    secret = "Dave Quarry rang me on oh seven seven"

    def crashes(story_id, report_progress):
        raise ValueError(secret)

    monkeypatch.setattr("storybank.ingest.services.ingest_story", crashes)
    with caplog.at_level(logging.DEBUG):
        story = factories.story(factories.user("reporter"), text=secret)
    assert story.status == "failed"
    assert "ValueError" in story.failure_reason
    assert secret not in story.failure_reason
    assert secret not in caplog.text


def test_reporter_sees_the_reason_and_retries_a_failed_stage(
    factories, monkeypatch, client, login_as
):
    reporter = factories.user("reporter")

    def broken(story_id, report_progress):
        raise StageError("The worker ran out of disk space.")

    monkeypatch.setattr("storybank.ingest.services.ingest_story", broken)
    story = factories.story(reporter)
    monkeypatch.undo()
    login_as(reporter)
    page = client.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)
    assert "The worker ran out of disk space." in page
    assert f"/stories/{public_id(story.id)}/retry" in page
    response = post_form(client, f"/stories/{public_id(story.id)}/retry")
    assert response.status_code == 302
    assert story.status == "in_review"
    assert story.failure_reason is None
    [job] = _jobs(story)
    assert (job.status, job.attempts) == ("done", 2)


def test_a_job_delivered_twice_runs_once(factories, monkeypatch):
    calls = []
    original = pipeline.STAGE_NAMES["ingest"].handler()

    def counting(story_id, report_progress):
        calls.append(story_id)
        original(story_id, report_progress)

    monkeypatch.setattr("storybank.ingest.services.ingest_story", counting)
    story = factories.story(factories.user("reporter"))
    [job] = _jobs(story)
    pipeline.run_job(job.id)
    assert calls == [story.id]


def test_queue_messages_carry_the_job_id_and_nothing_else(make_app):
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL="memory://")
    queue = app.extensions["storybank_queue"]
    assert isinstance(queue.huey, MemoryHuey)
    with app.app_context():
        from tests.factories import Factories

        factories = Factories(app)
        marker = "a sentence that must never reach the queue"
        story = factories.story(factories.user("reporter"), text=marker)
        assert story.status == "received"
        [job] = _jobs(story)
        raw = queue.huey.storage.dequeue()
        assert marker.encode() not in raw
        message = queue.huey.serializer.deserialize(raw)
        assert message.args == (job.id,)
        assert message.kwargs == {}
    with pytest.raises(TypeError):
        queue.enqueue("story text")  # type: ignore[arg-type]


def _stuck_job(factories, make_app, worker: str, heartbeat_age: timedelta) -> tuple:
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL="memory://")
    ctx = app.app_context()
    ctx.push()
    from tests.factories import Factories

    story = Factories(app).story(Factories(app).user("reporter"))
    [job] = _jobs(story)
    job.status = "running"
    job.worker = worker
    job.attempts = 1
    job.heartbeat_at = utcnow() - heartbeat_age
    db.session.commit()
    app.extensions["storybank_queue"].huey.storage.flush_queue()
    return app, ctx, story, job


def test_job_of_a_dead_worker_on_this_host_is_resumed(make_app, factories):
    dead = f"{pipeline._HOST}:999999"
    app, ctx, story, job = _stuck_job(factories, make_app, dead, timedelta(seconds=5))
    try:
        assert pipeline.resume_abandoned_jobs() == [job.id]
        assert app.extensions["storybank_queue"].pending_count() == 1
        pipeline.run_job(job.id)
        db.session.refresh(story)
        assert story.status == "anonymising"  # ingest done; the next stage is queued
        assert job.attempts == 2
        assert job.status == "done"
    finally:
        ctx.pop()


def test_job_of_a_zombie_worker_is_resumed_at_once(make_app, factories):
    # A zombie's PID still answers kill(pid, 0); its job must not wait for the lease.
    child = subprocess.Popen(["sleep", "60"])
    try:
        identity = worker_identity(child.pid)
        child.kill()  # not reaped: it stays a zombie until wait()
        deadline = time.monotonic() + 10
        while read_stat(child.pid).state != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert read_stat(child.pid).state == "Z"
        _app, ctx, _story, job = _stuck_job(factories, make_app, identity, timedelta(seconds=5))
        try:
            assert pipeline.resume_abandoned_jobs() == [job.id]
        finally:
            ctx.pop()
    finally:
        child.wait()


def test_job_of_a_live_worker_on_this_host_is_left_alone(make_app, factories):
    _app, ctx, _story, _job = _stuck_job(
        factories, make_app, worker_identity(), timedelta(seconds=5)
    )
    try:
        assert pipeline.resume_abandoned_jobs() == []
    finally:
        ctx.pop()


def test_job_whose_worker_pid_now_belongs_to_another_process_is_resumed(make_app, factories):
    # Same host and PID, but a different start time: the PID was recycled.
    reused = worker_identity().rsplit(":", 1)[0] + ":1"
    _app, ctx, _story, job = _stuck_job(factories, make_app, reused, timedelta(seconds=5))
    try:
        assert pipeline.resume_abandoned_jobs() == [job.id]
    finally:
        ctx.pop()


def test_jobs_record_the_workers_host_pid_and_start_time(factories):
    story = factories.story(factories.user("reporter"))
    for job in _all_jobs(story):
        assert job.worker == worker_identity()
        host, pid, start = job.worker.split(":")
        assert (host, int(pid)) == (pipeline._HOST, os.getpid())
        assert int(start) == read_stat(os.getpid()).start_ticks


def test_job_of_a_live_worker_elsewhere_is_left_alone_until_its_lease_ends(make_app, factories):
    app, ctx, _story, job = _stuck_job(factories, make_app, "other-host:123", timedelta(seconds=5))
    try:
        assert pipeline.resume_abandoned_jobs() == []
        job.heartbeat_at = utcnow() - timedelta(seconds=app.config["JOB_LEASE_SECONDS"] + 1)
        db.session.commit()
        assert pipeline.resume_abandoned_jobs() == [job.id]
    finally:
        ctx.pop()


def test_job_that_keeps_killing_its_worker_fails_visibly(make_app, factories):
    dead = f"{pipeline._HOST}:999999"
    app, ctx, story, job = _stuck_job(factories, make_app, dead, timedelta(seconds=5))
    try:
        job.attempts = app.config["JOB_MAX_ATTEMPTS"]
        db.session.commit()
        assert pipeline.resume_abandoned_jobs() == []
        db.session.refresh(story)
        assert story.status == "failed"
        assert "stopped 3 times" in story.failure_reason
    finally:
        ctx.pop()


def test_waiting_jobs_are_queued_again_when_a_worker_starts(make_app, factories):
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL="memory://")
    with app.app_context():
        from tests.factories import Factories

        story = Factories(app).story(Factories(app).user("reporter"))
        queue = app.extensions["storybank_queue"]
        queue.huey.storage.flush_queue()  # as if the queue lost the message
        [job] = _jobs(story)
        assert pipeline.resume_abandoned_jobs(requeue_waiting=True) == [job.id]
        assert queue.pending_count() == 1


def test_the_state_machine_refuses_impossible_moves(factories):
    story = factories.story(factories.user("reporter"))
    from storybank.stories.models import StoryStatus

    move_story(story, StoryStatus.APPROVED)
    with pytest.raises(InvalidTransition):
        move_story(story, StoryStatus.TRANSCRIBING)
    with pytest.raises(InvalidTransition):
        move_story(story, StoryStatus.IN_REVIEW)
    move_story(story, StoryStatus.WITHDRAWN)
    with pytest.raises(InvalidTransition):
        move_story(story, StoryStatus.APPROVED)


def test_the_worker_sweeps_storage_debris_every_ten_minutes(make_app, tmp_path):
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL="memory://", UPLOAD_GRACE_SECONDS=60)
    huey = app.extensions["storybank_queue"].huey
    [sweep] = [task() for task in huey._registry._periodic_tasks if "sweep" in task.__name__]
    assert sweep.validate_datetime(datetime(2026, 1, 1, 3, 20))
    assert not sweep.validate_datetime(datetime(2026, 1, 1, 3, 21))
    media = app.extensions["storybank_storage"].root
    crashed = media / "audio" / "crashed"
    crashed.mkdir(parents=True)
    debris = crashed / ".upload-x1"
    debris.write_bytes(b"half")
    for path in (debris, crashed):
        os.utime(path, (time.time() - 120, time.time() - 120))
    huey.execute(sweep)
    assert not crashed.exists()


def test_a_failing_storage_sweep_is_logged_and_does_not_stop_a_start(app, monkeypatch, caplog):
    def refused(grace_seconds):
        raise PermissionError("AccessDenied: s3:ListBucketMultipartUploads")

    monkeypatch.setattr(app.extensions["storybank_storage"], "sweep", refused)
    with app.app_context():
        result = pipeline.sweep_storage()
    assert (result.partial_uploads, result.empty_folders) == (0, 0)
    assert "storage sweep failed (PermissionError)" in caplog.text
