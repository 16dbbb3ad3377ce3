"""Crash trial: a real PostgreSQL server stops between and during requests, then comes back.

Every page answers 503 with a plain page (JSON under /api/v1/) while it is gone, nothing half
done is kept, and the next request after the restart works (the pool recovers by itself).
The server is our own throwaway one on port 54340, never the suite's.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from storybank import create_app
from storybank.dbtools import upgrade_database
from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import IsolatedClient
from tests.conftest import base_test_config
from tests.conftest import csrf_token
from tests.conftest import login
from tests.conftest import post_form
from tests.factories import Factories

PORT = 54340
DATABASE = "storybank_trial"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("STORYBANK_DATABASE_URL", "").startswith("postgresql"),
        reason="the database-down trial runs only when the suite runs on PostgreSQL",
    ),
]


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: p.split("/")[4])
    found = [p for p in found if os.access(p, os.X_OK)]
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own in a temporary folder, run as the postgres user."""

    def __init__(self, bindir: Path, base: Path) -> None:
        self.bindir = bindir
        self.data = base / "data"
        self.log = base / "server.log"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, check=True, timeout=120
        )

    def create(self) -> None:
        """Make the cluster: trusted, local only, on our port."""
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-locale",
            "-E",
            "UTF8",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {PORT}\n"
                f"unix_socket_directories = '{self.data.parent}'\nfsync = off\n"
            )

    def start(self) -> None:
        """Start the server and wait until it answers."""
        pg_ctl = str(self.bindir / "pg_ctl")
        self._run(pg_ctl, "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60")

    def stop_immediately(self) -> None:
        """Stop as a crash would: no shutdown checkpoint, every connection cut."""
        self._run(str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate")

    def is_running(self) -> bool:
        """Whether the server is up."""
        try:
            self._run(str(self.bindir / "pg_ctl"), "status", "-D", str(self.data))
        except subprocess.CalledProcessError:
            return False
        return True


@pytest.fixture(scope="module")
def server() -> Iterator[ThrowawayPostgres]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed")
    base = Path(tempfile.mkdtemp(prefix="storybank-trial-pg-", dir="/tmp"))
    if os.getuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    server = ThrowawayPostgres(bindir, base)
    try:
        server.create()
        server.start()
        subprocess.run(
            [
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(PORT),
                "-U",
                "postgres",
                DATABASE,
            ],
            check=True,
            timeout=60,
        )
        yield server
    finally:
        if server.is_running():
            server.stop_immediately()
        shutil.rmtree(base, ignore_errors=True)


def _slow_query() -> str:
    """A request that is still talking to the database when the server stops."""
    db.session.execute(text("SELECT pg_sleep(5)"))
    return "finished"


@pytest.fixture
def trial_app(server: ThrowawayPostgres, tmp_path: Path) -> Iterator[Flask]:
    config = base_test_config(tmp_path)
    config["SQLALCHEMY_DATABASE_URI"] = f"postgresql+psycopg://postgres@127.0.0.1:{PORT}/{DATABASE}"
    app = create_app(config)
    app.test_client_class = IsolatedClient
    app.add_url_rule("/trial/slow", "trial_slow", _slow_query)
    upgrade_database(app)
    yield app
    if not server.is_running():
        server.start()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _signed_in_reporter(app: Flask) -> tuple[FlaskClient, int]:
    with app.app_context():
        factories = Factories(app)
        email = factories.user("reporter").email
        site_id = factories.site().id
        db.session.commit()
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client, site_id


def _story_form(site_id: int, key: str) -> dict[str, str]:
    return {
        "title": "Market day",
        "story_type": "personal",
        "voice": "staff",
        "site_id": str(site_id),
        "storyteller_pseudonym": "Ada",
        "consent_processing": "y",
        "consent_events": "y",
        "consent_research": "y",
        "consent_given_on": "2026-11-01",
        "text": "We met at the market and talked about the new bus route.",
        "submission_key": key,
    }


def _count_stories(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Story))


def test_pages_answer_503_while_the_database_is_down_and_work_after(trial_app, server):
    client, site_id = _signed_in_reporter(trial_app)
    token = csrf_token(client)  # fetched now: every page needs the database
    server.stop_immediately()

    page = client.get("/stories/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "60"
    assert "Storybank cannot reach its database just now" in page.get_data(as_text=True)

    sent = client.post(
        "/stories/new", data={**_story_form(site_id, "trial-key-1"), "csrf_token": token}
    )
    assert sent.status_code == 503
    assert "may not have been saved" in sent.get_data(as_text=True)

    missing = client.get("/no-such-page")  # the 404 page shows who is signed in
    assert missing.status_code == 503
    assert "cannot reach its database" in missing.get_data(as_text=True)

    api = client.get("/api/v1/stories", headers={"Authorization": "Bearer sb_" + "x" * 40})
    assert api.status_code == 503
    assert api.get_json()["error"]["status"] == 503

    server.start()
    assert client.get("/stories/").status_code == 200  # the pool threw the dead connections away
    assert _count_stories(trial_app) == 0  # the form sent while it was down was not kept
    again = post_form(client, "/stories/new", _story_form(site_id, "trial-key-1"))
    assert again.status_code == 302, again.get_data(as_text=True)
    assert _count_stories(trial_app) == 1


def test_a_request_in_flight_when_the_database_stops_gets_503(trial_app, server):
    client, _site_id = _signed_in_reporter(trial_app)
    answers: list[int] = []
    request = threading.Thread(target=lambda: answers.append(client.get("/trial/slow").status_code))
    request.start()
    _wait_for_sleeping_query(server)
    server.stop_immediately()
    request.join(timeout=30)
    assert answers == [503]
    server.start()
    assert client.get("/stories/").status_code == 200


def _wait_for_sleeping_query(server: ThrowawayPostgres) -> None:
    """Wait until the slow request's query is running on the server."""
    psql = [
        str(server.bindir / "psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(PORT),
        "-U",
        "postgres",
        "-d",
        DATABASE,
        "-Atc",
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'",
    ]
    for _ in range(100):
        if subprocess.run(psql, capture_output=True, text=True).stdout.strip() not in ("", "0"):
            return
        threading.Event().wait(0.05)
    raise AssertionError("the slow request never reached the database")
