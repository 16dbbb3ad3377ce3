"""A pack's PDF or document made in the background: who sees the job, progress, failure with
its reason and a retry that works, downloads that are audited, and consent checked when the
job runs rather than when it was asked for."""

from __future__ import annotations

import pytest

from storybank.core.audit import AuditEvent
from storybank.core.errors import NotFound
from storybank.curate import builder
from storybank.curate import outputs
from storybank.curate import renders
from storybank.curate.models import Event
from storybank.curate.models import PackRender
from storybank.exports import jobs
from storybank.exports.models import OutputJob
from storybank.extensions import db
from storybank.privacy.services import ConsentUses
from storybank.privacy.services import change_consent
from storybank.privacy.services import erase_story
from storybank.stories.models import Story
from tests.conftest import post_form
from tests.curate.test_pack_services import approved
from tests.curate.test_pack_services import new_event
from tests.curate.test_pack_services import pdf_text
from tests.output_jobs import record_progress

KEPT = "The allotment group met every Tuesday and the tea was always hot."
LEAVING = "The kettle rota at the hostel made the mornings bearable for everyone."


@pytest.fixture
def people(factories):
    return {
        "reporter": factories.user("reporter"),
        "facilitator": factories.user("facilitator"),
        "other_facilitator": factories.user("facilitator"),
        "admin": factories.user("admin"),
        "researcher": factories.user("researcher"),
    }


@pytest.fixture
def pack(factories, people):
    """An event whose pack holds two approved stories."""
    facilitator = people["facilitator"]
    kept = approved(factories, people["reporter"], KEPT)
    leaving = approved(factories, people["reporter"], LEAVING)
    event_id = new_event(facilitator)
    builder.add_story_to_pack(facilitator, event_id, kept.id)
    builder.add_story_to_pack(facilitator, event_id, leaving.id)
    return {"event_id": event_id, "kept": kept, "leaving": leaving}


@pytest.fixture
def held(monkeypatch):
    """Queue jobs without running them; return the ids queued, to run by hand."""
    queued: list[int] = []
    monkeypatch.setattr(jobs, "_enqueue", queued.append)
    return queued


def audit_actions(target_id: int) -> list[str]:
    query = db.select(AuditEvent.action).where(
        AuditEvent.target_type == "pack",
        AuditEvent.target_id == target_id,
        AuditEvent.action.in_(["pack_rendered", "pack_downloaded"]),
    )
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def test_a_render_runs_on_the_queue_and_its_file_downloads_with_an_audit(people, pack):
    facilitator = people["facilitator"]
    job = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    assert (job.status, job.progress, job.attempts) == ("done", 1.0, 1)
    render = db.session.get(PackRender, job.result_id)
    assert render.manifest["kind"] == "pdf" and len(render.manifest["stories"]) == 2
    assert sorted(job.story_ids) == sorted([pack["kept"].id, pack["leaving"].id])
    ready = renders.download_pack_render(facilitator, pack["event_id"], job.id)
    assert ready.mimetype == "application/pdf" and ready.filename.endswith(".pdf")
    assert "tea was always hot" in pdf_text(ready.data)
    assert audit_actions(render.pack_id) == ["pack_rendered", "pack_downloaded"]
    assert db.session.get(OutputJob, job.id).downloaded_at is not None


def test_progress_moves_forward_from_queued_to_done(people, pack, held, monkeypatch):
    seen = record_progress(monkeypatch)
    job = renders.start_pack_render(people["facilitator"], pack["event_id"], "docx")
    assert (job.status, job.progress) == ("queued", 0.0)
    jobs.run_output_job(held[0])
    assert seen == sorted(seen) and 0 < seen[0] < 1
    done = db.session.get(OutputJob, job.id)
    assert (done.status, done.progress) == ("done", 1.0)


def test_a_story_withdrawn_before_the_render_runs_is_not_in_the_file(people, pack, held):
    facilitator = people["facilitator"]
    job = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    leaving = pack["leaving"]
    change_consent(
        people["reporter"],
        leaving.id,
        ConsentUses(events=False, research=True, audio_at_events=False),
    )
    jobs.run_output_job(held[0])
    done = db.session.get(OutputJob, job.id)
    assert done.story_ids == [pack["kept"].id]
    text = pdf_text(renders.download_pack_render(facilitator, pack["event_id"], job.id).data)
    assert "allotment group" in text and "kettle rota" not in text
    manifest = db.session.get(PackRender, done.result_id).manifest
    assert [story["story_id"] for story in manifest["stories"]] == [pack["kept"].id]


def test_a_story_leaving_after_the_render_makes_the_file_unavailable(people, pack):
    facilitator = people["facilitator"]
    job = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    change_consent(
        people["reporter"],
        pack["leaving"].id,
        ConsentUses(events=False, research=True, audio_at_events=False),
    )
    with pytest.raises(jobs.OutputFailed, match="no longer kept"):
        renders.download_pack_render(facilitator, pack["event_id"], job.id)
    failed = db.session.get(OutputJob, job.id)
    assert failed.status == "failed" and "Make it again" in failed.error
    again = renders.retry_pack_render(facilitator, pack["event_id"], job.id)
    assert again.status == "done" and again.story_ids == [pack["kept"].id]


def test_a_failed_render_shows_its_reason_and_a_retry_makes_it(people, pack, monkeypatch):
    facilitator = people["facilitator"]
    real = outputs._render

    def broken(document, kind):
        raise RuntimeError("the printer caught fire: " + KEPT)

    monkeypatch.setattr(outputs, "_render", broken)
    job = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    assert job.status == "failed" and job.attempts == 1
    assert "unexpected error (RuntimeError)" in job.error and "Retry" in job.error
    assert KEPT not in job.error  # the message, which may quote a story, is never shown
    with pytest.raises(NotFound):
        renders.download_pack_render(facilitator, pack["event_id"], job.id)
    monkeypatch.setattr(outputs, "_render", real)
    again = renders.retry_pack_render(facilitator, pack["event_id"], job.id)
    assert (again.id, again.status, again.attempts, again.error) == (job.id, "done", 2, None)


def test_a_render_that_cannot_be_made_says_why(people, pack, monkeypatch):
    def refused(document, kind):
        raise jobs.OutputFailed("The pack is too large to print. Take some stories out.")

    monkeypatch.setattr(outputs, "_render", refused)
    job = renders.start_pack_render(people["facilitator"], pack["event_id"], "pdf")
    assert job.error == "The pack is too large to print. Take some stories out."


def test_a_running_job_whose_worker_stopped_is_shown_as_failed(people, pack, held):
    from datetime import timedelta

    from storybank.core.db import utcnow

    job = renders.start_pack_render(people["facilitator"], pack["event_id"], "pdf")
    row = db.session.get(OutputJob, job.id)
    row.status, row.heartbeat_at = "running", utcnow() - timedelta(hours=2)
    db.session.commit()
    seen = renders.get_pack_render(people["facilitator"], pack["event_id"], job.id)
    assert seen.status == "failed" and "worker stopped" in seen.error


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("facilitator", True),
        ("other_facilitator", False),
        ("admin", False),
        ("researcher", False),
        ("reporter", False),
    ],
)
def test_only_the_person_who_asked_sees_the_job(people, pack, who, sees):
    job = renders.start_pack_render(people["facilitator"], pack["event_id"], "pdf")
    actor = people[who]
    calls = [
        lambda: renders.get_pack_render(actor, pack["event_id"], job.id),
        lambda: renders.retry_pack_render(actor, pack["event_id"], job.id),
        lambda: renders.download_pack_render(actor, pack["event_id"], job.id),
    ]
    for call in calls:
        if sees:
            call()
        else:
            with pytest.raises(NotFound):
                call()


def test_an_admin_renders_and_downloads_their_own_job(people, pack):
    admin = people["admin"]
    job = renders.start_pack_render(admin, pack["event_id"], "docx")
    assert renders.download_pack_render(admin, pack["event_id"], job.id).as_attachment


def test_a_job_is_not_found_under_another_event(people, pack):
    facilitator = people["facilitator"]
    job = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    other = new_event(facilitator)
    with pytest.raises(NotFound):
        renders.get_pack_render(facilitator, other, job.id)


# --- Over HTTP -----------------------------------------------------------------------------


def test_the_page_starts_a_job_shows_a_bar_and_offers_the_download(client, login_as, people, pack):
    login_as(people["facilitator"])
    event_id = pack["event_id"]
    started = post_form(client, f"/events/{event_id}/pack.pdf")
    assert started.status_code == 302
    page_url = started.headers["Location"]
    job_id = int(page_url.rsplit("/", 1)[1])
    page = client.get(page_url).get_data(as_text=True)
    assert "<progress" in page and 'aria-live="polite"' in page and "jobs.js" in page
    assert page.index("<progress") < page.index("Download the PDF")
    status = client.get(f"{page_url}.json").get_json()
    assert status == {"status": "done", "progress": 1.0}
    pdf = client.get(f"{page_url}/file")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    assert db.session.get(OutputJob, job_id).downloaded_at is not None


def test_the_buttons_post_with_a_csrf_token(client, login_as, people, pack):
    login_as(people["facilitator"])
    page = client.get(f"/events/{pack['event_id']}").get_data(as_text=True)
    assert f'action="/events/{pack["event_id"]}/pack.pdf"' in page
    assert client.post(f"/events/{pack['event_id']}/pack.pdf").status_code in (302, 400)
    assert db.session.scalar(db.select(db.func.count(OutputJob.id))) == 0


def test_a_failed_job_page_shows_the_reason_and_a_retry_that_works(
    client, login_as, people, pack, monkeypatch
):
    login_as(people["facilitator"])
    real = outputs._render
    monkeypatch.setattr(outputs, "_render", lambda document, kind: 1 / 0)
    page_url = post_form(client, f"/events/{pack['event_id']}/pack.pdf").headers["Location"]
    page = client.get(page_url).get_data(as_text=True)
    assert "ZeroDivisionError" in page and ">Retry</button>" in page and "csrf_token" in page
    assert client.get(f"{page_url}.json").get_json()["status"] == "failed"
    monkeypatch.setattr(outputs, "_render", real)
    assert post_form(client, f"{page_url}/retry").status_code == 302
    assert client.get(f"{page_url}.json").get_json() == {"status": "done", "progress": 1.0}


@pytest.mark.parametrize("who", ["other_facilitator", "admin", "researcher", "reporter"])
def test_someone_elses_job_is_a_404_on_every_url(client, login_as, people, pack, who):
    job = renders.start_pack_render(people["facilitator"], pack["event_id"], "pdf")
    login_as(people[who])
    base = f"/events/{pack['event_id']}/renders/{job.id}"
    for url in (base, f"{base}.json", f"{base}/file"):
        assert client.get(url).status_code == 404, url
    assert post_form(client, f"{base}/retry").status_code == 404


def test_the_event_page_links_back_to_the_files_you_asked_for(client, login_as, people, pack):
    job = renders.start_pack_render(people["facilitator"], pack["event_id"], "docx")
    renders.start_pack_render(people["admin"], pack["event_id"], "pdf")
    login_as(people["facilitator"])
    page = client.get(f"/events/{pack['event_id']}").get_data(as_text=True)
    assert f"/events/{pack['event_id']}/renders/{job.id}" in page and "DOCX (ready)" in page
    assert "PDF (ready)" not in page  # the admin's file is the admin's


# --- A story that changes while the file is made, or after; expiry -------------------------

CHANGED = "A story changed while the file was being made. Make it again."


def withdraw_from_events(people, story) -> None:
    change_consent(
        people["reporter"],
        story.id,
        ConsentUses(events=False, research=True, audio_at_events=False),
    )


def erase(people, story) -> None:
    erase_story(people["admin"], story.id)


def pack_files(app, event_id: int) -> int:
    pack_id = db.session.get(Event, event_id).pack.id
    return app.extensions["storybank_storage"].delete_prefix(f"packs/{pack_id}")


def made_again_without(people, pack, job) -> None:
    facilitator = people["facilitator"]
    again = renders.retry_pack_render(facilitator, pack["event_id"], job.id)
    assert again.status == "done" and again.story_ids == [pack["kept"].id]
    text = pdf_text(renders.download_pack_render(facilitator, pack["event_id"], job.id).data)
    assert "allotment group" in text and "kettle rota" not in text


def test_a_story_withdrawn_while_the_render_is_made_fails_the_job_and_its_file_goes(
    app, people, pack, monkeypatch
):
    facilitator = people["facilitator"]
    real = outputs._render

    def withdrawn_midway(document, kind):
        data = real(document, kind)
        withdraw_from_events(people, pack["leaving"])
        return data

    monkeypatch.setattr(outputs, "_render", withdrawn_midway)
    job = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    assert (job.status, job.error, job.storage_key) == ("failed", CHANGED, None)
    assert pack_files(app, pack["event_id"]) == 0
    with pytest.raises(NotFound):
        renders.download_pack_render(facilitator, pack["event_id"], job.id)
    monkeypatch.setattr(outputs, "_render", real)
    made_again_without(people, pack, job)


def test_a_story_erased_just_before_the_render_is_marked_done_fails_the_job(
    app, people, pack, monkeypatch
):
    real = outputs.make_pack_file

    def erased_at_the_end(*args, **kwargs):
        made = real(*args, **kwargs)
        erase(people, pack["leaving"])
        return made

    monkeypatch.setattr(outputs, "make_pack_file", erased_at_the_end)
    job = renders.start_pack_render(people["facilitator"], pack["event_id"], "pdf")
    assert (job.status, job.error, job.storage_key) == ("failed", CHANGED, None)
    assert pack_files(app, pack["event_id"]) == 0
    monkeypatch.setattr(outputs, "make_pack_file", real)
    made_again_without(people, pack, job)


def test_a_download_checks_the_stories_again(app, people, pack):
    facilitator = people["facilitator"]
    job = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    # A change that reached no hook: the download itself must notice it.
    db.session.get(Story, pack["leaving"].id).status = "draft"
    db.session.commit()
    with pytest.raises(jobs.OutputFailed, match="Make it again"):
        renders.download_pack_render(facilitator, pack["event_id"], job.id)
    failed = db.session.get(OutputJob, job.id)
    assert failed.status == "failed" and failed.storage_key is None
    assert pack_files(app, pack["event_id"]) == 0


def test_a_pack_file_expires_and_is_swept(app, people, pack):
    from datetime import timedelta

    from storybank.core.db import utcnow

    facilitator = people["facilitator"]
    old = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    shared = renders.start_pack_render(facilitator, pack["event_id"], "pdf")
    assert old.expires_at is not None and shared.storage_key == old.storage_key
    db.session.get(OutputJob, old.id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert jobs.sweep_expired_outputs() == 1
    db.session.commit()
    assert renders.download_pack_render(facilitator, pack["event_id"], shared.id).data
    db.session.get(OutputJob, shared.id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    jobs.sweep_expired_outputs()
    db.session.commit()
    assert pack_files(app, pack["event_id"]) == 0
    with pytest.raises(jobs.OutputFailed, match="no longer kept"):
        renders.download_pack_render(facilitator, pack["event_id"], old.id)
