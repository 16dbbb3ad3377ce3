"""Faults of the server, not the person: the database stops, or the disk fills during an upload.

Each answers with a page that says what happened and what was (not) saved, and leaves nothing.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
from pathlib import Path
from typing import BinaryIO

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import OperationalError

from storybank.core import storage as storage_module
from storybank.core.errors import StorageFull
from storybank.extensions import db
from storybank.pipeline.models import Job
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.factories import Factories

SECRET = "Mrs Example told me about her son"


def _database_stops() -> str:
    """A view whose database has just gone away, with story text in the failed statement."""
    raise OperationalError(
        "UPDATE story_texts SET body=%(body)s",
        {"body": SECRET},
        Exception("server closed the connection unexpectedly"),
    )


def _bad_query() -> str:
    raise IntegrityError("INSERT", {}, Exception("duplicate key"))


@pytest.fixture
def faulty_app(make_app) -> Flask:
    app = make_app()
    app.add_url_rule("/fault/db", "fault_db", _database_stops, methods=["GET", "POST"])
    app.add_url_rule("/api/v1/fault/db", "api_fault_db", _database_stops)
    app.add_url_rule("/fault/bug", "fault_bug", _bad_query)
    return app


def test_lost_database_answers_503_page_with_retry_after(faulty_app, caplog):
    client = faulty_app.test_client()
    with caplog.at_level(logging.DEBUG):
        response = client.get("/fault/db")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Storybank cannot reach its database just now" in page
    assert "Nothing has been changed or lost" in page
    assert "Traceback" not in page and "UPDATE" not in page
    assert "database unavailable" in caplog.text
    assert SECRET not in caplog.text and "story_texts" not in caplog.text


def test_lost_database_during_a_form_says_it_may_not_be_saved(faulty_app):
    faulty_app.config["WTF_CSRF_ENABLED"] = False
    response = faulty_app.test_client().post("/fault/db", data={"body": SECRET})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "may not have been saved" in page
    assert "check whether your change is there" in page
    assert SECRET not in page


def test_lost_database_answers_json_under_the_api(faulty_app):
    response = faulty_app.test_client().get("/api/v1/fault/db")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == 503
    assert "cannot reach its database" in error["message"]


def test_lost_database_page_works_for_a_signed_in_person(faulty_app):
    with faulty_app.app_context():
        reporter = Factories(faulty_app).user("reporter")
        email = reporter.email
    client = faulty_app.test_client()
    assert login(client, email).status_code == 302
    response = client.get("/fault/db")
    assert response.status_code == 503
    assert client.get("/stories/").status_code == 200  # the session was rolled back


def test_a_query_bug_is_still_a_server_error_not_an_outage(faulty_app):
    with pytest.raises(IntegrityError):  # TESTING propagates what no handler answers
        faulty_app.test_client().get("/fault/bug")


def _media_entries(app: Flask) -> list[Path]:
    root = Path(app.config["MEDIA_URL"].removeprefix("file://"))
    return list(root.rglob("*")) if root.exists() else []


class _FillsUp:
    """A file that takes `room` bytes, then fails as a full disk does."""

    def __init__(self, target: BinaryIO, room: int) -> None:
        self.target = target
        self.room = room

    def write(self, chunk: bytes) -> int:
        if len(chunk) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(chunk)
        return self.target.write(chunk)


def test_disk_full_mid_upload_shows_the_form_and_keeps_nothing(make_app, monkeypatch):
    app = make_app()
    real_copy = storage_module.copy_hashing

    def copy_until_full(stream, target, max_bytes):
        return real_copy(stream, _FillsUp(target, room=storage_module.CHUNK_BYTES), max_bytes)

    monkeypatch.setattr(storage_module, "copy_hashing", copy_until_full)
    with app.app_context():
        factories = Factories(app)
        email = factories.user("reporter").email
        site_id = factories.site().id
    client = app.test_client()
    assert login(client, email).status_code == 302
    data = b"RIFF" + bytes(3 * storage_module.CHUNK_BYTES)
    form = {
        "title": "A long interview",
        "story_type": "personal",
        "voice": "staff",
        "site_id": str(site_id),
        "storyteller_pseudonym": "Jack",
        "consent_processing": "y",
        "consent_events": "y",
        "consent_research": "y",
        "consent_given_on": "2026-11-01",
        "submission_key": hashlib.sha256(data).hexdigest()[:32],
        "audio_file": (io.BytesIO(data), "interview.wav"),
    }
    response = post_form(client, "/stories/new", form, content_type="multipart/form-data")
    assert response.status_code == 507
    page = response.get_data(as_text=True)
    assert "The server has run out of space; your story was not saved" in page
    assert "tell your coordinator" in page
    assert 'name="title"' in page and "A long interview" in page  # the form again, filled in
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Story)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 0
    assert _media_entries(app) == []  # no partial file, no empty folder


def test_disk_full_anywhere_else_gets_a_507_page(make_app):
    app = make_app()

    def stores() -> str:
        raise StorageFull()

    app.add_url_rule("/fault/disk", "fault_disk", stores)
    response = app.test_client().get("/fault/disk")
    assert response.status_code == 507
    assert "run out of space" in response.get_data(as_text=True)
