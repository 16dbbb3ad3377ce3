"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL when STORYBANK_DATABASE_URL
says so), a client, a CLI runner, factories and a login helper."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import Flask
from flask import has_app_context
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text

from storybank import create_app
from storybank.accounts.models import User
from storybank.accounts.services import start_session
from storybank.core.db import utcnow
from storybank.core.ids import encode_public_id
from storybank.core.ids import public_id_key
from storybank.core.ids import public_story_id
from storybank.dbtools import upgrade_database
from storybank.extensions import db
from tests.factories import Factories

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def database_url(tmp_root: Path) -> str:
    """The database the suite runs on: the environment's, else a SQLite file."""
    return os.environ.get("STORYBANK_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite3'}"


TEST_SECRET_KEY = "test-secret-key-not-for-production"


def public_id(story_id: int) -> str:
    """A story's public id, as its URLs carry it: under the app in context, else the tests' key."""
    if has_app_context():
        return public_story_id(story_id)
    return encode_public_id(story_id, public_id_key(TEST_SECRET_KEY))


def base_test_config(tmp_root: Path) -> dict[str, object]:
    """Settings for an app under test: a real database, jobs run at once."""
    url = database_url(tmp_root)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_root / "instance"),
        "SECRET_KEY": TEST_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": url,
        "QUEUE_URL": "memory://",
        "QUEUE_IMMEDIATE": True,
        "MEDIA_URL": f"file://{tmp_root / 'media'}",
        "FAST_PASSWORD_HASHING": True,
        "RATELIMIT_ENABLED": False,
        # Tests about other things approve without the storyteller's check; the default
        # (required) is tested in tests/web/test_storyteller_check.py.
        "STORYTELLER_CHECK": "optional",
    }


@pytest.fixture(scope="session")
def test_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("storybank")


@pytest.fixture(scope="session")
def migrated_database(test_root: Path) -> str:
    """Build the schema once per run through the real migrations."""
    app = create_app(base_test_config(test_root))
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.engine.dispose()
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()
    return app.config["SQLALCHEMY_DATABASE_URI"]


def empty_all_tables() -> None:
    """Delete every row, children first, so each test starts from nothing."""
    existing = set(inspect(db.engine).get_table_names())
    for table in reversed(db.metadata.sorted_tables):
        if table.name in existing:
            db.session.execute(table.delete())
    db.session.commit()


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's app context.

    Flask reuses an already pushed app context for requests, which would let `g` (the logged
    in user, the CSRF token) leak from one request to the next. Each request here gets its own
    context, as in a real server, and the test's own session ends its transaction first so it
    holds no lock and sees fresh rows afterwards.
    """

    def open(self, *args, **kwargs):
        outer = _cv_app.get(None)
        if outer is not None:
            db.session.commit()
        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def make_app(test_root: Path, migrated_database: str, tmp_path: Path) -> Iterator:
    """Build apps with extra settings; every table is emptied afterwards."""
    apps: list[Flask] = []

    def build(**overrides: object) -> Flask:
        config = base_test_config(test_root)
        config["MEDIA_URL"] = f"file://{tmp_path / 'media'}"
        config["INSTANCE_PATH"] = str(tmp_path / "instance")
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            empty_all_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def factories(app: Flask, app_context: None) -> Factories:
    return Factories(app)


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """Fetch a page and return the CSRF token for this client's session."""
    page = client.get("/no-such-page-gives-a-token").get_data(as_text=True)
    match = _CSRF_META.search(page)
    assert match, "every page carries a CSRF token"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict | None = None, **kwargs: object):
    """POST a form the way a browser would: with this session's CSRF token."""
    payload = {"csrf_token": csrf_token(client), **(data or {})}
    return client.post(url, data=payload, **kwargs)


SECOND_STEP_PATHS = ("/login/code", "/login/set-up")


def complete_second_step(client: FlaskClient, email: str) -> None:
    """Finish a sign-in after the password step through the services, not the form.

    Tests about other things log the same person in many times a minute, and a real code
    works only once; two-step sign-in itself is tested through its forms in
    tests/security/test_two_step.py. An account without an app gets one set up first.
    """
    if _cv_app.get(None) is not None:
        db.session.commit()
    with client.application.app_context():
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        assert user is not None
        if user.totp_enabled_at is None:
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled_at = utcnow()
        token = start_session(user)
    with client.session_transaction() as sess:
        sess.clear()
        sess["_user_id"] = token
        sess["_fresh"] = True
        sess.permanent = True


def login(client: FlaskClient, email: str, password: str = Factories.PASSWORD):
    """Log in through the real password form; a second step is completed for the test."""
    response = post_form(client, "/login", {"email": email, "password": password})
    location = urlsplit(response.headers.get("Location", "")).path
    if response.status_code == 302 and location in SECOND_STEP_PATHS:
        complete_second_step(client, email)
    return response


@pytest.fixture
def login_as(client: FlaskClient):
    """Log the client in as a user."""

    def _login(user) -> FlaskClient:
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login
