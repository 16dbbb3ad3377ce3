"""Research exports made in the background: who sees the job, progress, failure and retry,
the file kept in storage, and consent checked when the job runs and before each download."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import update

from storybank.accounts.models import User
from storybank.core.audit import AuditEvent
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.exports import background
from storybank.exports import jobs
from storybank.exports import services
from storybank.exports.models import ExportManifest
from storybank.exports.models import OutputJob
from storybank.extensions import db
from storybank.privacy.services import ConsentUses
from storybank.privacy.services import change_consent
from storybank.privacy.services import erase_story
from storybank.search.query import SearchQuery
from tests.conftest import post_form
from tests.output_jobs import record_progress

GARDEN = "The allotment helped me more than anything. Growing beans gave my week a shape."
KETTLE = "My supervisor trusted me with the kettle rota at the allotment, which mattered."
BENCH = "We sat on the bench by the allotment gate and talked about the week ahead."


@pytest.fixture
def stories(publish):
    return [
        publish(GARDEN, ("community",)),
        publish(KETTLE, ("trust",)),
        publish(BENCH, ("community",)),
    ]


@pytest.fixture
def held(monkeypatch):
    """Queue jobs without running them; return the ids queued, to run by hand."""
    queued: list[int] = []
    monkeypatch.setattr(jobs, "_enqueue", queued.append)
    return queued


def body(ready: background.ExportDownload) -> bytes:
    return b"".join(ready.chunks)


def story_ids(data: bytes) -> list[int]:
    return [int(row["story_id"]) for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]


def storage(app):
    return app.extensions["storybank_storage"]


def test_an_export_runs_on_the_queue_and_is_kept_in_storage_until_downloaded(
    app, stories, researcher
):
    job = background.start_export(researcher, SearchQuery(text="allotment"), "stories_csv")
    assert (job.status, job.progress, job.attempts) == ("done", 1.0, 1)
    assert storage(app).exists(job.storage_key) and job.expires_at is not None
    manifest = db.session.get(ExportManifest, job.result_id)
    assert manifest.user_id == researcher.id and manifest.filter["q"] == "allotment"
    assert manifest.story_count == 3 and sorted(job.story_ids) == sorted(s.id for s in stories)
    audit = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.target_type == "export")
    ).all()
    assert audit == ["research_exported"]
    ready = background.download_export(researcher, job.id)
    assert ready.filename == job.filename and ready.filename.endswith(f"-{manifest.id}.csv")
    assert story_ids(body(ready)) == [s.id for s in stories]
    assert db.session.get(OutputJob, job.id).downloaded_at is not None


def test_the_job_holds_the_search_never_story_text(stories, researcher):
    job = background.start_export(researcher, SearchQuery(text="allotment"), "json")
    row = db.session.execute(
        db.select(OutputJob.params, OutputJob.story_ids, OutputJob.error).where(
            OutputJob.id == job.id
        )
    ).one()
    assert row.params == [["q", "allotment"]]
    assert "beans" not in repr(row)


def test_a_qdpx_export_is_a_zip_in_storage(stories, researcher):
    job = background.start_export(researcher, SearchQuery(), "qdpx")
    data = body(background.download_export(researcher, job.id))
    assert "project.qde" in zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_progress_is_reported_batch_by_batch_up_to_one(stories, researcher, held, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 1)
    seen = record_progress(monkeypatch)
    job = background.start_export(researcher, SearchQuery(), "excerpts_csv")
    assert (job.status, job.progress) == ("queued", 0.0)
    jobs.run_output_job(held[0])
    assert seen == sorted(seen) and len(set(seen)) >= 4 and seen[-1] >= 0.95
    assert db.session.get(OutputJob, job.id).progress == 1.0


def test_a_story_withdrawn_before_the_export_runs_is_left_out(stories, researcher, publish, held):
    job = background.start_export(researcher, SearchQuery(), "stories_csv")
    change_consent(
        publish.reporter,
        stories[1].id,
        ConsentUses(events=True, research=False, audio_at_events=False),
    )
    jobs.run_output_job(held[0])
    data = body(background.download_export(researcher, job.id))
    assert story_ids(data) == [stories[0].id, stories[2].id]
    assert b"kettle" not in data.lower()
    manifest = db.session.get(ExportManifest, db.session.get(OutputJob, job.id).result_id)
    assert manifest.story_count == 2


def test_a_story_withdrawn_after_the_export_is_made_stops_the_download(
    app, stories, researcher, publish
):
    job = background.start_export(researcher, SearchQuery(), "stories_csv")
    key = job.storage_key
    change_consent(
        publish.reporter,
        stories[0].id,
        ConsentUses(events=True, research=False, audio_at_events=False),
    )
    with pytest.raises(jobs.OutputFailed, match="may no longer be exported"):
        background.download_export(researcher, job.id)
    failed = db.session.get(OutputJob, job.id)
    assert failed.status == "failed" and failed.storage_key is None
    assert not storage(app).exists(key)
    again = background.retry_export(researcher, job.id)
    assert again.status == "done" and again.attempts == 2
    assert stories[0].id not in story_ids(body(background.download_export(researcher, job.id)))


def test_erasing_a_story_deletes_the_export_files_that_hold_it(app, stories, researcher):
    job = background.start_export(researcher, SearchQuery(), "stories_csv")
    key = job.storage_key
    admin = db.session.scalar(db.select(type(researcher)).where(type(researcher).role == "admin"))
    erase_story(admin, stories[1].id)
    assert not storage(app).exists(key)
    assert db.session.get(OutputJob, job.id).status == "failed"


def test_a_failed_export_shows_its_reason_and_a_retry_makes_it(stories, researcher, monkeypatch):
    real = services.write_manifest_file

    def broken(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(services, "write_manifest_file", broken)
    job = background.start_export(researcher, SearchQuery(), "json")
    assert job.status == "failed" and "unexpected error (OSError)" in job.error
    assert "disk on fire" not in job.error
    with pytest.raises(NotFound):
        background.download_export(researcher, job.id)
    monkeypatch.setattr(services, "write_manifest_file", real)
    again = background.retry_export(researcher, job.id)
    assert (again.status, again.attempts, again.error) == ("done", 2, None)


def test_a_bad_search_fails_with_the_searchs_own_message(stories, researcher, held):
    job = background.start_export(researcher, SearchQuery(), "json")
    row = db.session.get(OutputJob, job.id)
    row.params = [["from", "yesterday"]]
    db.session.commit()
    jobs.run_output_job(held[0])
    assert db.session.get(OutputJob, job.id).error == "Give dates as YYYY-MM-DD."


def test_expired_files_are_swept(app, stories, researcher):
    from datetime import timedelta

    from storybank.core.db import utcnow

    job = background.start_export(researcher, SearchQuery(), "stories_csv")
    key = job.storage_key
    db.session.get(OutputJob, job.id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    background.start_export(researcher, SearchQuery(), "stories_csv")  # sweeps first
    assert not storage(app).exists(key)
    with pytest.raises(jobs.OutputFailed, match="no longer kept"):
        background.download_export(researcher, job.id)


@pytest.mark.parametrize("role", ["facilitator", "reporter"])
def test_only_researchers_and_admins_start_exports(factories, role):
    with pytest.raises(NotAllowed):
        background.start_export(factories.user(role), SearchQuery(), "json")


@pytest.mark.parametrize(
    ("who", "sees"),
    [("owner", True), ("researcher", False), ("admin", False), ("facilitator", False)],
)
def test_only_the_person_who_asked_sees_the_export_job(factories, stories, researcher, who, sees):
    job = background.start_export(researcher, SearchQuery(), "stories_csv")
    actor = researcher if who == "owner" else factories.user(who)
    for call in (background.get_export_job, background.retry_export, background.download_export):
        if sees:
            call(actor, job.id)
        else:
            with pytest.raises(NotFound):
                call(actor, job.id)


def test_an_admins_own_export_is_theirs(factories, stories):
    admin = factories.user("admin")
    job = background.start_export(admin, SearchQuery(), "matrix_csv")
    assert body(background.download_export(admin, job.id))


# --- Over HTTP -----------------------------------------------------------------------------


def test_the_search_page_posts_an_export_and_the_job_page_offers_it(
    client, login_as, stories, researcher
):
    login_as(researcher)
    search = client.get("/research/?q=allotment").get_data(as_text=True)
    assert 'method="post" action="/research/export/stories_csv?q=allotment"' in search
    started = post_form(client, "/research/export/stories_csv?q=allotment")
    assert started.status_code == 302
    page_url = started.headers["Location"]
    page = client.get(page_url).get_data(as_text=True)
    assert "<progress" in page and 'aria-live="polite"' in page
    assert page.index("<progress") < page.index("Download the export")
    assert client.get(f"{page_url}.json").get_json() == {"status": "done", "progress": 1.0}
    with client.get(f"{page_url}/file", buffered=True) as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        assert story_ids(response.data) == [s.id for s in stories]
    listing = client.get("/research/exports").get_data(as_text=True)
    assert page_url in listing


def test_a_post_without_the_csrf_token_starts_nothing(client, login_as, stories, researcher):
    login_as(researcher)
    client.post("/research/export/json")
    assert db.session.scalar(db.select(db.func.count(OutputJob.id))) == 0


def test_the_failed_page_shows_the_reason_and_its_retry_works(
    client, login_as, stories, researcher, monkeypatch
):
    login_as(researcher)
    real = services.write_manifest_file
    monkeypatch.setattr(services, "write_manifest_file", lambda *a, **k: 1 / 0)
    page_url = post_form(client, "/research/export/json").headers["Location"]
    page = client.get(page_url).get_data(as_text=True)
    assert "ZeroDivisionError" in page and ">Retry</button>" in page
    monkeypatch.setattr(services, "write_manifest_file", real)
    assert post_form(client, f"{page_url}/retry").status_code == 302
    assert client.get(f"{page_url}.json").get_json()["status"] == "done"


@pytest.mark.parametrize("who", ["researcher", "admin", "facilitator", "reporter"])
def test_someone_elses_export_job_is_a_404_on_every_url(
    client, login_as, factories, stories, researcher, who
):
    job = background.start_export(researcher, SearchQuery(), "stories_csv")
    login_as(factories.user(who))
    base = f"/research/exports/jobs/{job.id}"
    for url in (base, f"{base}.json", f"{base}/file"):
        assert client.get(url).status_code == 404, url
    assert post_form(client, f"{base}/retry").status_code == 404


def test_the_queue_message_is_the_job_id_and_a_worker_runs_it(make_app):
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL="memory://")
    huey = app.extensions["storybank_queue"].huey
    with app.app_context():
        from tests.factories import Factories

        researcher = Factories(app).user("researcher")
        job = background.start_export(researcher, SearchQuery(text="beans"), "stories_csv")
        assert job.status == "queued"
        raw = huey.storage.dequeue()
        assert b"beans" not in raw  # the search stays in the job's row
        message = huey.serializer.deserialize(raw)
        assert message.name.endswith("storybank.run_output_job")
        assert (message.args, message.kwargs) == ((job.id,), {})
        huey.execute(huey._registry.create_task(message))  # as a consumer would
        db.session.expire_all()
        assert db.session.get(OutputJob, job.id).status == "done"
        with pytest.raises(TypeError):
            jobs._enqueue("story text")  # type: ignore[arg-type]


# --- A story that changes while the file is made; retries; a queue that fails ---------------

CHANGED = "A story changed while the file was being made. Make it again."


def withdraw_from_research(publish, story) -> None:
    change_consent(
        publish.reporter, story.id, ConsentUses(events=True, research=False, audio_at_events=False)
    )


def erase(publish, story) -> None:
    admin = db.session.scalar(db.select(User).where(User.role == "admin"))
    erase_story(admin, story.id)


@pytest.mark.parametrize("change", [withdraw_from_research, erase])
def test_a_story_that_changes_while_the_export_is_made_fails_the_job_and_its_file_goes(
    app, stories, researcher, publish, monkeypatch, change
):
    real = services.write_manifest_file

    def changing_midway(*args, **kwargs):
        real(*args, **kwargs)
        change(publish, stories[1])

    monkeypatch.setattr(services, "write_manifest_file", changing_midway)
    job = background.start_export(researcher, SearchQuery(), "stories_csv")
    assert (job.status, job.error, job.storage_key) == ("failed", CHANGED, None)
    assert storage(app).delete_prefix(f"exports/{job.id}") == 0
    with pytest.raises(NotFound):
        background.download_export(researcher, job.id)
    monkeypatch.setattr(services, "write_manifest_file", real)
    again = background.retry_export(researcher, job.id)
    assert again.status == "done"
    assert story_ids(body(background.download_export(researcher, job.id))) == [
        stories[0].id,
        stories[2].id,
    ]


def test_two_retry_clicks_queue_the_job_once(stories, researcher, held, monkeypatch):
    monkeypatch.setattr(services, "write_manifest_file", lambda *a, **k: 1 / 0)
    job = background.start_export(researcher, SearchQuery(), "json")
    jobs.run_output_job(held.pop())
    real = jobs.get_output_job

    def other_click_first(actor, job_id, what):
        seen = real(actor, job_id, what)
        # The other click's UPDATE lands between this click's read and its write.
        db.session.execute(
            update(OutputJob).where(OutputJob.id == job_id).values(status="queued"),
            execution_options={"synchronize_session": False},
        )
        held.append(job_id)
        return seen

    monkeypatch.setattr(jobs, "get_output_job", other_click_first)
    again = jobs.retry_output_job(researcher, job.id, "export")
    assert again.status == "queued"
    assert held == [job.id]


def test_a_job_that_cannot_be_queued_fails_with_a_retry(stories, researcher, monkeypatch):
    def broken(job_id: int) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(jobs, "_enqueue", broken)
    job = background.start_export(researcher, SearchQuery(), "json")
    assert (job.status, job.error) == ("failed", "The job could not be queued. Try again.")
    again = background.retry_export(researcher, job.id)
    assert again.status == "failed" and "could not be queued" in again.error
    monkeypatch.undo()
    assert background.retry_export(researcher, job.id).status == "done"


def test_a_job_left_waiting_two_hours_is_shown_as_failed(app, stories, researcher, held):
    from datetime import timedelta

    from storybank.core.db import utcnow

    job = background.start_export(researcher, SearchQuery(), "json")
    row = db.session.get(OutputJob, job.id)
    # Waiting behind an hour of transcription is normal, not a failure.
    row.queued_at = utcnow() - timedelta(minutes=70)
    db.session.commit()
    assert background.get_export_job(researcher, job.id).status == "queued"
    row = db.session.get(OutputJob, job.id)
    row.queued_at = utcnow() - timedelta(hours=2, seconds=1)
    db.session.commit()
    seen = background.get_export_job(researcher, job.id)
    assert seen.status == "failed" and "Try again" in seen.error
    held.clear()
    background.retry_export(researcher, job.id)
    assert held == [job.id]
