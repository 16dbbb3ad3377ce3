"""Crash trials with real processes: SIGKILL a worker mid-job, and SIGKILL `serve` mid-upload.

Each must lose nothing and leave no debris: the job completes, no worker outlives serve, and no
half-written upload or empty folder survives the next start.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from storybank.extensions import db
from storybank.pipeline.models import Job
from storybank.pipeline.processes import read_stat
from storybank.stories.models import Story
from tests.conftest import database_url
from tests.factories import Factories

pytestmark = pytest.mark.slow


def wait_for(predicate: Callable[[], object], timeout: float, step: float = 0.05) -> object:
    """Poll until the predicate gives something true; return it (or the last falsy value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def is_dead(pid: int) -> bool:
    """Whether a process has stopped (an orphan's zombie only waits for init to reap it)."""
    stat = read_stat(pid)
    return stat is None or stat.state == "Z"


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Serve:
    """A real `storybank serve` process, its output collected as it runs."""

    def __init__(self, env: dict[str, str], *args: str, ignore_sigint: bool = False) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "storybank.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so the test can sweep up after it
            # As a shell's background job starts it: SIGINT inherited as ignored.
            preexec_fn=_ignore_sigint if ignore_sigint else None,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def worker_pid(self) -> int:
        found = wait_for(lambda: re.search(r"job worker \(process (\d+)\)", self.output), 30)
        assert found, self.output
        return int(found.group(1))

    def _accepts(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def wait_until_listening(self) -> None:
        assert wait_for(lambda: "Storybank is at" in self.output and self._accepts(), 30), (
            self.output
        )

    def close(self) -> None:
        """Kill whatever is left of it and of the workers it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._reader.join(timeout=5)
        for pid in re.findall(r"job worker \(process (\d+)\)", self.output):
            if not is_dead(int(pid)):
                os.kill(int(pid), signal.SIGKILL)


@pytest.fixture
def trial(make_app, test_root: Path, tmp_path: Path):
    """An app on a file queue, and the environment a `serve` for it needs."""
    queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_URL=queue_url)
    env = {
        **os.environ,
        "STORYBANK_DATABASE_URL": database_url(test_root),
        "STORYBANK_QUEUE_URL": queue_url,
        "STORYBANK_MEDIA_URL": f"file://{tmp_path / 'media'}",
        "STORYBANK_INSTANCE_PATH": str(tmp_path / "instance"),
        "STORYBANK_SECRET_KEY": "crash-trial-key",
    }
    started: list[Serve] = []

    def serve(*args: str, ignore_sigint: bool = False) -> Serve:
        started.append(Serve(env, *args, ignore_sigint=ignore_sigint))
        return started[-1]

    yield app, serve, tmp_path / "media"
    for each in started:
        each.close()


def _running_job(app, story_id: int, stage: str) -> Job | None:
    with app.app_context():
        query = db.select(Job).where(
            Job.story_id == story_id, Job.stage == stage, Job.status == "running"
        )
        return db.session.scalars(query).first()


def _story_status(app, story_id: int) -> str:
    with app.app_context():
        return db.session.get(Story, story_id).status


def test_a_worker_killed_mid_job_is_restarted_and_the_story_reaches_review(trial):
    app, serve, _media = trial
    server = serve()
    first_worker = server.worker_pid()
    with app.app_context():
        factories = Factories(app)
        story_id = factories.story(factories.user("reporter")).id
    job = wait_for(lambda: _running_job(app, story_id, "anonymise"), 60, step=0.02)
    assert job, server.output
    assert int(job.worker.split(":")[1]) == first_worker
    os.kill(first_worker, signal.SIGKILL)
    assert wait_for(lambda: _story_status(app, story_id) == "in_review", 60), server.output
    with app.app_context():
        jobs = db.session.scalars(db.select(Job).where(Job.story_id == story_id)).all()
        assert {(job.stage, job.status) for job in jobs} == {
            ("ingest", "done"),
            ("anonymise", "done"),
            ("tag", "done"),
        }
        [anonymise] = [job for job in jobs if job.stage == "anonymise"]
        assert anonymise.attempts == 2  # the killed run, and the one that finished
        assert int(anonymise.worker.split(":")[1]) != first_worker
    assert f"job worker (process {first_worker}) was killed by SIGKILL" in server.output
    assert read_stat(first_worker) is None  # reaped: no zombie
    second_worker = int(anonymise.worker.split(":")[1])
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=40) == 0
    assert wait_for(lambda: is_dead(second_worker), 5), "SIGTERM left the worker running"


def _login(port: int, email: str, password: str) -> str:
    def get(path: str, cookie: str = "") -> tuple[http.client.HTTPResponse, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response, response.read().decode()

    response, page = get("/login")
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = f"csrf_token={token}&email={email.replace('@', '%40')}&password="
    body += password.replace(" ", "+")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST", "/login", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    assert response.status == 302, response.status
    return response.getheader("Set-Cookie").split(";")[0]


def _start_upload(port: int, cookie: str, megabytes: int, answer: list) -> threading.Thread:
    """Send a large recording to /stories/new in a thread; the server's answer goes in `answer`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/stories/new", headers={"Cookie": cookie})
    response = connection.getresponse()
    page = response.read().decode()
    if response.getheader("Set-Cookie"):
        cookie = response.getheader("Set-Cookie").split(";")[0]
    fields = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1),
        "title": "Crash trial",
        "story_type": "personal",
        "voice": "staff",
        "site_id": re.search(r'<option value="(\d+)"', page).group(1),
        "storyteller_pseudonym": "Trial",
        "consent_processing": "y",
        "consent_given_on": "2026-11-01",
        "submission_key": f"crash-trial-{time.monotonic_ns()}",
    }
    boundary = "crashtrialboundary"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head = (
        head + f'--{boundary}\r\nContent-Disposition: form-data; name="audio_file"; '
        'filename="interview.wav"\r\nContent-Type: audio/wav\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = megabytes * 1024 * 1024

    def send() -> None:
        upload = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        upload.putrequest("POST", "/stories/new")
        upload.putheader("Cookie", cookie)
        upload.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        upload.putheader("Content-Length", str(len(head) + size + len(tail)))
        upload.endheaders()
        try:
            upload.send(head)
            chunk = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                upload.send(chunk)
            upload.send(tail)
            response = upload.getresponse()
            answer.append((response.status, response.read()[:2000]))
        except (OSError, http.client.HTTPException) as error:
            answer.append(error)  # the server was killed: that is the trial

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _debris(media: Path) -> list[Path]:
    """Half-written uploads and empty folders under the media root."""
    if not media.is_dir():
        return []
    found = [path for path in media.rglob(".upload-*")]
    found += [path for path in media.rglob("*") if path.is_dir() and not any(path.iterdir())]
    return found


def test_serve_killed_mid_upload_leaves_no_orphan_and_no_debris_after_the_next_start(trial):
    app, serve, media = trial
    with app.app_context():
        Factories(app).user("reporter", email="trial@example.org")
        Factories(app).site()
    server = serve()
    worker = server.worker_pid()
    server.wait_until_listening()
    cookie = _login(server.port, "trial@example.org", Factories.PASSWORD)
    answers: list = []
    for _attempt in range(3):  # a machine that copies very fast may finish before the kill
        answer: list = []
        upload = _start_upload(server.port, cookie, 200, answer)
        partial = wait_for(
            lambda upload=upload: list(media.rglob(".upload-*")) or not upload.is_alive(),
            60,
            step=0.002,
        )
        if partial is not True:
            break
        answers.append(answer)
    assert isinstance(partial, list) and partial, f"{answers}\n{server.output}"
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    assert wait_for(lambda: is_dead(worker), 5), "the worker lives on as an orphan"
    left = _debris(media)
    assert left, "the kill came too late to leave a half-written upload"
    # An hour later (the grace period that protects a live upload), serve starts again.
    an_hour_ago = time.time() - 3700
    for path in left + [path.parent for path in left]:
        os.utime(path, (an_hour_ago, an_hour_ago))
    again = serve("--no-worker")
    again.wait_until_listening()
    assert "Removed 1 half-written upload(s)" in again.output
    assert _debris(media) == []


def test_ctrl_c_stops_serve_and_its_worker(trial):
    _app, serve, _media = trial
    server = serve(ignore_sigint=True)  # as from a script's `&`: Ctrl+C must still stop it
    worker = server.worker_pid()
    server.wait_until_listening()
    server.process.send_signal(signal.SIGINT)
    # serve gives the worker 30 s to finish its job before SIGKILL; a loaded CI machine needs
    # more than that on top, so wait long enough that only a real hang fails.
    try:
        server.process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("serve did not stop on Ctrl+C; its output:\n" + server.output)
    assert wait_for(lambda: is_dead(worker), 5), "Ctrl+C left the worker running"
    assert read_stat(worker) is None  # reaped by serve before it left
