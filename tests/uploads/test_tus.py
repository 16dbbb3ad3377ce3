"""Resumable uploads over tus 1.0: the protocol's answers, who may touch an upload, chunks saved
as they come, a dropped chunk thrown away, and a finished upload becoming a story's recording."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from storybank.core.db import utcnow
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.uploads import services
from storybank.uploads.models import ResumableUpload
from storybank.uploads.tus import ProtocolError
from tests.conftest import csrf_token
from tests.conftest import login
from tests.conftest import post_form
from tests.security.hostile.uploads import tone_wav
from tests.web.test_audio_stories import FakeTranscriber

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def world(make_app):
    from tests.factories import Factories

    app = make_app(TRANSCRIBER_FACTORY=FakeTranscriber, MAX_AUDIO_BYTES=2 * 1024 * 1024)
    with app.app_context():
        factories = Factories(app)
        people = {role: factories.user(role) for role in ("reporter", "researcher", "admin")}
        people["other_reporter"] = factories.user("reporter")
        yield app, people, factories.site()


def _client(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client)
    return client


def _create(client, length: int, **headers: str):
    return client.post("/uploads/", headers={**TUS, "Upload-Length": str(length), **headers})


def _patch(client, location: str, offset: int, data: bytes, **headers: str):
    return client.patch(
        location,
        data=data,
        headers={
            **TUS,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
            **headers,
        },
    )


def _send_all(client, data: bytes, chunk: int = 40_000) -> str:
    location = _create(client, len(data)).headers["Location"]
    for start in range(0, len(data), chunk):
        answer = _patch(client, location, start, data[start : start + chunk])
        assert answer.status_code == 204, answer.get_data(as_text=True)
        assert answer.headers["Upload-Offset"] == str(min(len(data), start + chunk))
    return location


def test_the_server_says_what_it_speaks(world):
    app, _people, _site = world
    answer = app.test_client().options("/uploads/")
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert set(answer.headers["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "expiration",
    }
    assert answer.headers["Tus-Max-Size"] == str(2 * 1024 * 1024)


def test_chunks_arrive_in_order_and_head_says_where_to_carry_on(world):
    app, people, _site = world
    client = _client(app, people["reporter"])
    created = _create(client, 100)
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location.startswith("/uploads/") and created.headers["Upload-Expires"]
    assert _patch(client, location, 0, b"a" * 60).headers["Upload-Offset"] == "60"
    head = client.head(location, headers=TUS)
    assert (head.status_code, head.headers["Upload-Offset"]) == (200, "60")
    assert head.headers["Upload-Length"] == "100"
    # A repeat of a chunk already taken is refused: the offset has moved on.
    assert _patch(client, location, 0, b"a" * 60).status_code == 409
    assert _patch(client, location, 60, b"b" * 41).status_code == 413  # past the end
    assert _patch(client, location, 60, b"b" * 40).headers["Upload-Offset"] == "100"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Tus-Resumable": "0.2.2", "Upload-Length": "10"}, 412),
        ({**TUS}, 400),
        ({**TUS, "Upload-Length": "ten"}, 400),
        ({**TUS, "Upload-Length": "\u00b2"}, 400),  # a digit to isdigit(), not to int()
        ({**TUS, "Upload-Length": "0"}, 400),
        ({**TUS, "Upload-Length": str(3 * 1024 * 1024)}, 413),
        ({**TUS, "Upload-Defer-Length": "1"}, 400),
    ],
)
def test_bad_creation_requests_get_the_protocols_answers(world, headers, status):
    app, people, _site = world
    answer = _client(app, people["reporter"]).post("/uploads/", headers=headers)
    assert answer.status_code == status
    assert answer.mimetype == "text/plain" and answer.get_data(as_text=True)
    if status == 412:
        assert answer.headers["Tus-Version"] == "1.0.0"
    assert db.session.scalar(select(ResumableUpload.id)) is None


def test_a_chunk_must_be_raw_bytes(world):
    app, people, _site = world
    client = _client(app, people["reporter"])
    location = _create(client, 10).headers["Location"]
    answer = _patch(client, location, 0, b"0123456789", **{"Content-Type": "text/plain"})
    assert answer.status_code == 415


def test_only_the_reporter_who_opened_an_upload_can_see_or_add_to_it(world):
    app, people, _site = world
    location = _create(_client(app, people["reporter"]), 10).headers["Location"]
    for role in ("other_reporter", "researcher", "admin"):
        client = _client(app, people[role])
        assert client.head(location, headers=TUS).status_code == 404, role
        assert _patch(client, location, 0, b"x" * 10).status_code == 404, role
        assert client.delete(location, headers=TUS).status_code == 404, role
    assert _create(_client(app, people["researcher"]), 10).status_code == 404
    signed_out = app.test_client()
    assert signed_out.head(location, headers=TUS).status_code == 401


def test_uploads_need_the_pages_csrf_token(world):
    app, people, _site = world
    client = app.test_client()
    assert login(client, people["reporter"].email).status_code == 302
    refused = _create(client, 10)
    assert refused.status_code == 400 and refused.mimetype == "text/plain"
    assert "Reload it" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ResumableUpload.id)) is None


def test_a_chunk_cut_short_is_thrown_away_and_the_offset_stays(world):
    app, people, _site = world
    client = _client(app, people["reporter"])
    upload_id = _create(client, 100).headers["Location"].rsplit("/", 1)[1]
    with app.test_request_context(), pytest.raises(ProtocolError) as refused:
        services.append_chunk(people["reporter"], upload_id, 0, io.BytesIO(b"a" * 30), 50)
    assert refused.value.status == 400
    head = client.head(f"/uploads/{upload_id}", headers=TUS)
    assert head.headers["Upload-Offset"] == "0"
    assert not app.extensions["storybank_storage"].exists(f"uploads/{upload_id}/{0:015d}")


def test_a_person_may_have_only_a_few_uploads_unfinished(world):
    app, people, _site = world
    client = _client(app, people["reporter"])
    allowed = app.config["UPLOADS_UNFINISHED_PER_PERSON"]
    for _ in range(allowed):
        assert _create(client, 10).status_code == 201
    refused = _create(client, 10)
    assert refused.status_code == 429 and "Finish or cancel" in refused.get_data(as_text=True)
    assert _create(_client(app, people["other_reporter"]), 10).status_code == 201


def test_cancelling_throws_the_upload_and_its_parts_away(world):
    app, people, _site = world
    client = _client(app, people["reporter"])
    location = _create(client, 20).headers["Location"]
    _patch(client, location, 0, b"x" * 10)
    assert client.delete(location, headers=TUS).status_code == 204
    assert client.head(location, headers=TUS).status_code == 404
    assert db.session.scalar(select(ResumableUpload.id)) is None


def test_an_expired_upload_is_gone_and_swept_with_its_parts(world):
    app, people, _site = world
    client = _client(app, people["reporter"])
    location = _create(client, 20).headers["Location"]
    _patch(client, location, 0, b"x" * 10)
    upload = db.session.scalar(select(ResumableUpload))
    upload_id = upload.id
    upload.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.head(location, headers=TUS).status_code == 404
    assert services.delete_expired_uploads() == 1
    assert db.session.scalar(select(ResumableUpload.id)) is None
    assert not app.extensions["storybank_storage"].exists(f"uploads/{upload_id}/{0:015d}")


def _story_form(site_id: int, upload_id: str) -> dict:
    return {
        "title": "A recording sent in parts",
        "story_type": "personal",
        "voice": "person_on_probation",
        "site_id": str(site_id),
        "storyteller_pseudonym": "Robin",
        "consent_processing": "y",
        "consent_research": "y",
        "consent_given_on": "2026-11-30",
        "submission_key": upload_id[:20],
        "upload_id": upload_id,
    }


def test_a_finished_upload_becomes_the_storys_recording_byte_for_byte(world):
    app, people, site = world
    client = _client(app, people["reporter"])
    recording = tone_wav(3.0)
    location = _send_all(client, recording)
    upload_id = location.rsplit("/", 1)[1]
    answer = post_form(client, "/stories/new", _story_form(site.id, upload_id))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    story = db.session.scalar(select(Story))
    assert story.audio.original_sha256 == hashlib.sha256(recording).hexdigest()
    assert story.audio.original_size == len(recording)
    assert story.status == "in_review"  # ingested and transcribed from the joined file
    assert db.session.scalar(select(ResumableUpload.id)) is None
    storage = app.extensions["storybank_storage"]
    assert not storage.exists(f"uploads/{upload_id}/{0:015d}")


def test_an_unfinished_upload_is_refused_on_the_form_and_nothing_is_saved(world):
    app, people, site = world
    client = _client(app, people["reporter"])
    recording = tone_wav(2.0)
    location = _create(client, len(recording)).headers["Location"]
    _patch(client, location, 0, recording[:1000])
    upload_id = location.rsplit("/", 1)[1]
    answer = post_form(client, "/stories/new", _story_form(site.id, upload_id))
    assert answer.status_code == 400
    assert "has not finished sending" in answer.get_data(as_text=True)
    assert db.session.scalar(select(Story.id)) is None
    assert client.head(location, headers=TUS).headers["Upload-Offset"] == "1000"


def test_another_reporters_upload_cannot_be_submitted(world):
    app, people, site = world
    location = _send_all(_client(app, people["other_reporter"]), tone_wav(1.0))
    client = _client(app, people["reporter"])
    answer = post_form(client, "/stories/new", _story_form(site.id, location.rsplit("/", 1)[1]))
    assert answer.status_code == 400
    assert "was not found on the server" in answer.get_data(as_text=True)
    assert db.session.scalar(select(Story.id)) is None


def test_the_periodic_sweep_removes_expired_uploads(world):
    app, people, _site = world
    client = _client(app, people["reporter"])
    location = _create(client, 20).headers["Location"]
    _patch(client, location, 0, b"x" * 10)
    upload = db.session.scalar(select(ResumableUpload))
    upload.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    app.extensions["storybank_queue"]._sweep.call_local()
    db.session.expire_all()
    assert db.session.scalar(select(ResumableUpload.id)) is None


def test_a_finished_upload_that_is_not_a_recording_is_refused_and_thrown_away(world):
    app, people, site = world
    client = _client(app, people["reporter"])
    location = _send_all(client, b"This is a letter, not a recording. " * 200)
    upload_id = location.rsplit("/", 1)[1]
    answer = post_form(client, "/stories/new", _story_form(site.id, upload_id))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert f'value="{upload_id}"' not in page  # the form asks for the recording again
    assert db.session.scalar(select(Story.id)) is None
    assert db.session.scalar(select(ResumableUpload.id)) is None
    assert not app.extensions["storybank_storage"].exists(f"uploads/{upload_id}/{0:015d}")


def test_a_chunk_at_the_wrong_offset_is_told_the_offset_even_when_too_long(world):
    app, people, _site = world
    client = _client(app, people["reporter"])
    location = _create(client, 100).headers["Location"]
    _patch(client, location, 0, b"a" * 50)
    answer = _patch(client, location, 90, b"b" * 50)
    assert answer.status_code == 409 and "byte 50" in answer.get_data(as_text=True)
