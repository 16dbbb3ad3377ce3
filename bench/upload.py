"""Benchmark: upload a large recording to a real server and measure the server's memory.

Run: .venv/bin/python bench/upload.py [--megabytes 500] [--chunk-megabytes 1]

It starts `storybank serve --no-worker` on a free local port with a throwaway instance folder,
logs in as a reporter, and sends a WAV file of the given size (48 kHz stereo silence, so it is a
real recording within the 3-hour limit) twice: as one multipart form (the page without
JavaScript), and in tus chunks followed by the form (the page's script). For each it prints the
throughput and how much the server's resident memory grew (target: under 100 MB for 500 MB), and
the ratio of the two times.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORYBANK = [sys.executable, "-m", "storybank.cli"]
PASSWORD = "benchmark password 1"
CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wav_header(data_bytes: int, rate: int = 48_000, channels: int = 2) -> bytes:
    block = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=500)
    parser.add_argument("--chunk-megabytes", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "STORYBANK_INSTANCE_PATH": f"{folder}/instance",
            "STORYBANK_MEDIA_URL": f"file://{folder}/media",
            "STORYBANK_DATABASE_URL": f"sqlite:///{folder}/instance/bench.sqlite3",
            "STORYBANK_QUEUE_URL": f"sqlite:///{folder}/instance/queue.sqlite3",
        }
        run = {"env": env, "check": True, "capture_output": True, "text": True, "cwd": ROOT}
        subprocess.run([*STORYBANK, "db", "upgrade"], **run)
        subprocess.run(
            [*STORYBANK, "users", "create", "--email", "bench@example.org", "--role", "reporter"],
            input=PASSWORD + "\n",
            **run,
        )
        subprocess.run([*STORYBANK, "sites", "add", "Bench"], **run)
        port = free_port()
        server = subprocess.Popen(
            [*STORYBANK, "serve", "--no-worker", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            upload(port, server.pid, args.megabytes, args.chunk_megabytes)
        finally:
            server.terminate()
            server.wait(timeout=30)


def request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request(method, path, body=body or None, headers=headers or {})
    return connection.getresponse()


class Session:
    """A signed-in reporter: the cookie, the form's CSRF token and a site to file under."""

    def __init__(self, port: int) -> None:
        for _ in range(100):
            try:
                login_page = request(port, "GET", "/login")
                break
            except ConnectionRefusedError:
                time.sleep(0.1)
        cookie = login_page.getheader("Set-Cookie").split(";")[0]
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', login_page.read())
        token = token.group(1).decode() if token else ""
        body = f"csrf_token={token}&email=bench%40example.org&password={PASSWORD.replace(' ', '+')}"
        answer = request(
            port,
            "POST",
            "/login",
            body.encode(),
            {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        answer.read()
        cookie = answer.getheader("Set-Cookie").split(";")[0]
        form_page = request(port, "GET", "/stories/new", headers={"Cookie": cookie})
        page = form_page.read().decode()
        if form_page.getheader("Set-Cookie"):  # the form's CSRF token lives in the session
            cookie = form_page.getheader("Set-Cookie").split(";")[0]
        self.port = port
        self.cookie = cookie
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        self.site_id = re.search(r'<option value="(\d+)"', page).group(1)

    def fields(self, key: str, **extra: str) -> dict[str, str]:
        """The new-story form's fields for a recording."""
        return {
            "csrf_token": self.token,
            "title": "Benchmark upload",
            "story_type": "personal",
            "voice": "staff",
            "site_id": self.site_id,
            "storyteller_pseudonym": "Bench",
            "consent_processing": "y",
            "consent_given_on": "2026-11-01",
            "submission_key": key,
            **extra,
        }


def send_silence(connection: http.client.HTTPConnection, data_bytes: int) -> None:
    """Stream `data_bytes` of silence in 1 MiB pieces."""
    silence = b"\x00" * CHUNK
    sent = 0
    while sent < data_bytes:
        piece = silence[: min(CHUNK, data_bytes - sent)]
        connection.send(piece)
        sent += len(piece)


def multipart_upload(session: Session, audio_bytes: int) -> int:
    """The form with the file in one request, as a browser without JavaScript sends it."""
    boundary = "storybankbenchboundary"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in session.fields("bench-multipart").items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio_file"; '
        'filename="interview.wav"\r\nContent-Type: audio/wav\r\n\r\n'
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    total = len(head.encode()) + audio_bytes + len(tail)
    connection = http.client.HTTPConnection("127.0.0.1", session.port, timeout=1200)
    connection.putrequest("POST", "/stories/new")
    connection.putheader("Cookie", session.cookie)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(total))
    connection.endheaders()
    connection.send(head.encode())
    connection.send(wav_header(audio_bytes - 44))
    send_silence(connection, audio_bytes - 44)
    connection.send(tail)
    response = connection.getresponse()
    response.read()
    return response.status


def tus_upload(session: Session, audio_bytes: int, chunk_bytes: int) -> int:
    """The recording in tus chunks (as the page's script sends it), then the form with its id."""
    tus = {"Tus-Resumable": "1.0.0", "Cookie": session.cookie, "X-CSRFToken": session.token}
    created = request(
        session.port, "POST", "/uploads/", headers={**tus, "Upload-Length": str(audio_bytes)}
    )
    created.read()
    location = created.getheader("Location")
    offset = 0
    connection = http.client.HTTPConnection("127.0.0.1", session.port, timeout=600)
    while offset < audio_bytes:
        size = min(chunk_bytes, audio_bytes - offset)
        body = bytearray(size)
        if offset == 0:
            body[:44] = wav_header(audio_bytes - 44)
        headers = {
            **tus,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        connection.request("PATCH", location, body=bytes(body), headers=headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 204:
            return answer.status
        offset += size
    upload_id = location.rsplit("/", 1)[1]
    form = session.fields("bench-tus", upload_id=upload_id)
    body = "&".join(f"{name}={value}" for name, value in form.items()).encode()
    response = request(
        session.port,
        "POST",
        "/stories/new",
        body,
        {"Cookie": session.cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response.read()
    return response.status


def measure(server_pid: int, send: Callable[[], int]) -> tuple[int, float, int, int]:
    """Status, seconds, RSS before (kB) and peak RSS during (kB) of one upload."""
    baseline = memory_kb(server_pid, "VmRSS")
    # Reset the kernel's peak-RSS mark so that the peak we read is this upload's own.
    Path(f"/proc/{server_pid}/clear_refs").write_text("5")
    started = time.perf_counter()
    status = send()
    elapsed = time.perf_counter() - started
    return status, elapsed, baseline, memory_kb(server_pid, "VmHWM")


def upload(port: int, server_pid: int, megabytes: int, chunk_megabytes: int) -> None:
    session = Session(port)
    audio_bytes = megabytes * 1024 * 1024
    runs = {
        "one request (no JavaScript)": lambda: multipart_upload(session, audio_bytes),
        f"tus, {chunk_megabytes} MB chunks (the page)": lambda: tus_upload(
            session, audio_bytes, chunk_megabytes * 1024 * 1024
        ),
    }
    print(f"upload size: {megabytes} MB of WAV, loopback, same server, one after the other")
    times = []
    for name, send in runs.items():
        status, elapsed, baseline, peak = measure(server_pid, send)
        times.append(elapsed)
        print(f"{name}:")
        print(f"  answer {status} (302 = saved); {elapsed:.1f} s, {megabytes / elapsed:.0f} MB/s")
        print(f"  server RSS {baseline / 1024:.0f} MB before, peak {peak / 1024:.0f} MB")
        print(f"  server memory growth: {(peak - baseline) / 1024:.0f} MB (target < 100 MB)")
    print(f"tus time / one-request time: {times[1] / times[0]:.2f}")


if __name__ == "__main__":
    main()
