"""Fixtures for backup tests: a source instance with text and audio stories, an empty target."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy import make_url
from sqlalchemy import select

from storybank.extensions import db
from storybank.search.indexing import index_story
from storybank.stories.models import Story
from storybank.stories.services import AudioUpload
from storybank.stories.services import submit_story
from tests.factories import Factories
from tests.privacy.helpers import MarkerTranscriber
from tests.privacy.helpers import marked_wav

# Tables that SQLite's FTS5 keeps for itself; search_documents is compared instead.
FTS_TABLES = {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize"}


@dataclass
class Source:
    """The instance that is backed up."""

    app: Flask
    media: Path
    admin_id: int
    text_id: int
    audio_id: int


def _approve(factories: Factories, story_id: int) -> None:
    story = db.session.get(Story, story_id)
    factories.sign_off(story)
    story.status = "approved"
    db.session.commit()
    assert index_story(story_id)
    db.session.commit()


@pytest.fixture
def erasure_log(tmp_path: Path) -> str:
    """The erasure log both instances share (it outlives the source's database)."""
    return f"file://{tmp_path / 'erasure-log'}"


@pytest.fixture
def source(make_app, erasure_log: str) -> Source:
    """An instance with an approved text story and an approved one-second recording."""
    return build_source(make_app, erasure_log)


def build_source(make_app, erasure_log: str, **settings: object) -> Source:
    """Build the source instance, with any extra settings (another media storage, say)."""
    app = make_app(
        TRANSCRIBER_FACTORY=lambda: MarkerTranscriber("Harbourne"),
        ERASURE_LOG_URL=erasure_log,
        **settings,
    )
    with app.app_context():
        factories = Factories(app)
        reporter, admin = factories.user("reporter"), factories.user("admin")
        text_id = factories.story(reporter).id
        wav = io.BytesIO(marked_wav("Harbourne", seconds=1.0))
        draft = factories.draft(text="", audio=AudioUpload(wav, "voice.wav"))
        audio_id = submit_story(reporter, draft).id
        assert db.session.get(Story, audio_id).status == "in_review"
        for story_id in (text_id, audio_id):
            _approve(factories, story_id)
        admin_id = admin.id
    media = Path(app.config["MEDIA_URL"].removeprefix("file://"))
    return Source(app, media, admin_id, text_id, audio_id)


def _fresh_postgres_database(url: str, name: str) -> str:
    parsed = make_url(url)
    admin_url = parsed.set(drivername="postgresql", database="postgres")
    conninfo = admin_url.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def empty_target(make_app, source: Source, tmp_path: Path, erasure_log: str) -> Flask:
    """A new instance with an empty database (no tables) and empty media storage."""
    url = source.app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        source_name = make_url(url).database
        target_url = _fresh_postgres_database(url, f"{source_name}_restore")
    else:
        (tmp_path / "restored").mkdir()
        target_url = f"sqlite:///{tmp_path / 'restored' / 'storybank.sqlite3'}"
    return make_app(
        SQLALCHEMY_DATABASE_URI=target_url,
        MEDIA_URL=f"file://{tmp_path / 'restored-media'}",
        INSTANCE_PATH=str(tmp_path / "restored-instance"),
        ERASURE_LOG_URL=erasure_log,
    )


def table_rows(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every Storybank table, in primary-key order."""
    with app.app_context():
        existing = set(inspect(db.engine).get_table_names())
        rows = {}
        for table in db.metadata.sorted_tables:
            if table.name in existing and table.name not in FTS_TABLES:
                query = select(table).order_by(*table.primary_key.columns)
                rows[table.name] = [tuple(row) for row in db.session.execute(query)]
        db.session.rollback()
        return rows


def media_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under a media folder, by its path."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
