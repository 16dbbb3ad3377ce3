"""The canary: a story carrying a unique marker goes through the whole pipeline and is erased;
afterwards the marker is nowhere (database files, queue database, media, logs; on PostgreSQL,
every row of every table read through SQL)."""

from __future__ import annotations

import io
import logging
import secrets
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy import text

from storybank.anonymise.services import sign_off
from storybank.core.errors import Conflict
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.ids import story_id_from_public
from storybank.extensions import db
from storybank.privacy.services import erase_story
from storybank.privacy.services import withdraw_consent
from storybank.stories.models import Story
from storybank.stories.services import approve_story
from storybank.stories.services import read_original_text
from storybank.stories.services import submit_story
from storybank.tag.models import StoryTheme
from storybank.tag.models import TaggerModel
from storybank.tag.services import decide_theme
from storybank.tag.services import train_tagger
from tests.conftest import post_form
from tests.factories import Factories
from tests.privacy.helpers import MarkerTranscriber
from tests.privacy.helpers import files_holding
from tests.privacy.helpers import marked_wav


def _pump(app) -> None:
    """Run every queued job the way a worker would, through the queue database."""
    huey = app.extensions["storybank_queue"].huey
    while (task := huey.dequeue()) is not None:
        huey.execute(task)


def _upload(app, reporter, site, marker: str) -> int:
    client = app.test_client()
    post_form(client, "/login", {"email": reporter.email, "password": Factories.PASSWORD})
    form = {
        "title": f"Talking with {marker}",
        "story_type": "personal",
        "voice": "staff",
        "site_id": str(site.id),
        "storyteller_pseudonym": marker,
        "consent_processing": "y",
        "consent_events": "y",
        "consent_research": "y",
        "consent_audio_at_events": "y",
        "consent_given_on": "2026-11-02",
        "submission_key": secrets.token_hex(16),
        "audio_file": (io.BytesIO(marked_wav(marker)), f"{marker}.wav"),
    }
    response = post_form(client, "/stories/new", form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return story_id_from_public(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _review_and_approve(facilitator, admin, story_id: int) -> None:
    story = db.session.get(Story, story_id)
    assert story.status == "in_review", story.failure_reason
    read_original_text(admin, story_id)
    sign_off(facilitator, story_id)
    key = db.session.scalar(db.select(StoryTheme.theme_key).where(StoryTheme.story_id == story_id))
    decide_theme(facilitator, story_id, key, True)
    try:
        approve_story(facilitator, story_id)
    except (Conflict, NotAllowed, InvalidInput):
        db.session.rollback()  # approval may wait for the storyteller's own check


def _database_files(app, tmp_path: Path) -> list[Path]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    files = [tmp_path / "queue.sqlite3"]
    if url.startswith("sqlite:///"):
        main = Path(url.removeprefix("sqlite:///"))
        files.append(main)
    return [Path(f"{f}{suffix}") for f in files for suffix in ("", "-wal", "-journal", "-shm")]


def _rows_holding(marker: str) -> list[str]:
    """On PostgreSQL: every table whose rows, read as text, hold the marker."""
    found = []
    for table in inspect(db.engine).get_table_names():
        # The table names come from the database's own catalogue.
        sql = f'SELECT count(*) FROM "{table}" AS t WHERE CAST(t AS TEXT) LIKE :needle'  # noqa: S608
        query = text(sql)
        if db.session.execute(query, {"needle": f"%{marker}%"}).scalar():
            found.append(table)
    return found


def test_a_marked_story_leaves_no_trace_after_erasure(make_app, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    marker = "Quorvendish" + secrets.token_hex(5)
    app = make_app(
        TRANSCRIBER_FACTORY=lambda: MarkerTranscriber(marker),
        QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite3'}",
        QUEUE_IMMEDIATE=False,
    )
    media = Path(app.config["MEDIA_URL"].removeprefix("file://"))
    with app.app_context():
        factories = Factories(app)
        reporter, admin = factories.user("reporter"), factories.user("admin")
        facilitator, site = factories.user("facilitator"), factories.site()
        draft = factories.draft(
            site,
            title=f"Mornings with {marker}",
            storyteller_pseudonym=marker,
            text=f"Every morning {marker} walked me to the bus stop before my appointment.",
            consent=factories.consent(storyteller_name=f"{marker} Pellow"),
        )
        text_id = submit_story(reporter, draft).id
        audio_id = _upload(app, reporter, site, marker)
        _pump(app)
        for story_id in (text_id, audio_id):
            _review_and_approve(facilitator, admin, story_id)
        train_tagger(admin)
        postgres = db.engine.dialect.name == "postgresql"
        assert files_holding(marker, [media]), "the recording is in media storage"
        if postgres:
            assert _rows_holding(marker)
        else:
            assert files_holding(marker, _database_files(app, tmp_path))

        withdraw_consent(reporter, text_id, confirmed=True)
        started = time.perf_counter()
        erase_story(admin, audio_id)
        print(f"erasing the audio story took {time.perf_counter() - started:.3f} s")

        assert db.session.scalar(db.select(db.func.count()).select_from(Story)) == 0
        assert all(
            m.needs_retraining
            for m in db.session.scalars(db.select(TaggerModel))
            if m.trained_on.get("source") == "decisions"
        )
        assert files_holding(marker, [media]) == []
        assert [p for p in media.rglob("*") if p.is_file()] == []
        assert files_holding(marker, _database_files(app, tmp_path)) == []
        if postgres:
            assert _rows_holding(marker) == []
        assert marker not in caplog.text


@pytest.fixture
def withdrawing(make_app):
    """An app whose transcriber sees consent withdrawn (and a late file written) mid-way."""
    state: dict = {}

    def during() -> None:
        with app.app_context():
            story = db.session.get(Story, state["story_id"])
            folder = story.audio.original_key.rsplit("/", 1)[0]
            withdraw_consent(state["reporter"], state["story_id"], confirmed=True)
            storage = app.extensions["storybank_storage"]
            storage.save_stream(f"{folder}/late-part.wav", io.BytesIO(b"late bytes"))

    transcriber = MarkerTranscriber("Ploverdine", during=during)
    app = make_app(
        TRANSCRIBER_FACTORY=lambda: transcriber, QUEUE_IMMEDIATE=False, QUEUE_URL="memory://"
    )
    return app, state, transcriber


def test_withdrawal_during_transcription_stops_the_job_and_leaves_nothing(withdrawing):
    app, state, transcriber = withdrawing
    media = Path(app.config["MEDIA_URL"].removeprefix("file://"))
    with app.app_context():
        factories = Factories(app)
        reporter, site = factories.user("reporter"), factories.site()
        state["reporter"] = reporter
        state["story_id"] = _upload(app, reporter, site, "Ploverdine")
        _pump(app)
        assert transcriber.finished == 0  # the job stopped at its next progress report
        assert db.session.scalar(db.select(db.func.count()).select_from(Story)) == 0
        assert [p for p in media.rglob("*") if p.is_file()] == []
        from storybank.pipeline.models import Job

        assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 0
