"""Benchmark: upload a large recording to a real server and measure the server's memory.

Run: .venv/bin/python bench/upload.py [--megabytes 500]

It starts `storybank serve --no-worker` on a free local port with a throwaway instance folder,
logs in as a reporter, streams a multipart upload of a WAV file of the given size (48 kHz
stereo silence, so it is a real recording within the 3-hour limit), and prints the upload's
throughput and how much the server's resident memory grew (target: under 100 MB for 500 MB).
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
            upload(port, server.pid, args.megabytes)
        finally:
            server.terminate()
            server.wait(timeout=30)


def request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request(method, path, body=body or None, headers=headers or {})
    return connection.getresponse()


def upload(port: int, server_pid: int, megabytes: int) -> None:
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
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    site_id = re.search(r'<option value="(\d+)"', page).group(1)

    boundary = "storybankbenchboundary"
    fields = {
        "csrf_token": token,
        "title": "Benchmark upload",
        "story_type": "personal",
        "voice": "staff",
        "site_id": site_id,
        "storyteller_pseudonym": "Bench",
        "consent_processing": "y",
        "consent_given_on": "2026-11-01",
        "submission_key": "bench-upload-key",
    }
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio_file"; '
        'filename="interview.wav"\r\nContent-Type: audio/wav\r\n\r\n'
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    audio_bytes = megabytes * 1024 * 1024
    data_bytes = audio_bytes - 44
    total = len(head.encode()) + audio_bytes + len(tail)

    baseline = memory_kb(server_pid, "VmRSS")
    # Reset the kernel's peak-RSS mark so that the peak we read is the upload's own.
    Path(f"/proc/{server_pid}/clear_refs").write_text("5")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1200)
    started = time.perf_counter()
    connection.putrequest("POST", "/stories/new")
    connection.putheader("Cookie", cookie)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(total))
    connection.endheaders()
    connection.send(head.encode())
    connection.send(wav_header(data_bytes))
    silence = b"\x00" * CHUNK
    sent = 0
    while sent < data_bytes:
        piece = silence[: min(CHUNK, data_bytes - sent)]
        connection.send(piece)
        sent += len(piece)
    connection.send(tail)
    response = connection.getresponse()
    answer_page = response.read().decode(errors="replace")
    elapsed = time.perf_counter() - started
    peak = memory_kb(server_pid, "VmHWM")
    status = response.status
    location = response.getheader("Location", "")
    print(f"upload size:              {megabytes} MB ({total / 1e6:.0f} MB on the wire)")
    print(f"server answer:            {status} {location}")
    if status != 302:
        problems = re.findall(
            r'<p class="error"[^>]*>([^<]+)</p>|<li><a[^>]*>[^<]*</a>: ([^<]+)</li>', answer_page
        )
        print("refused:                  " + "; ".join(a or b for a, b in problems))
    print(f"upload time:              {elapsed:.1f} s ({megabytes / elapsed:.0f} MB/s on loopback)")
    print(f"server RSS before:        {baseline / 1024:.0f} MB")
    print(f"server peak RSS:          {peak / 1024:.0f} MB")
    print(f"server memory growth:     {(peak - baseline) / 1024:.0f} MB (target < 100 MB)")


if __name__ == "__main__":
    main()
