"""Keep a job worker process beside `storybank serve`: reap it, restart it, and stop it with us.

The worker's side is `exit_with_parent`: it asks Linux to signal it when serve dies (even by
SIGKILL, which serve cannot catch), and also polls its parent, so no worker outlives serve.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def describe_exit(returncode: int) -> str:
    """Say how a process ended, from its Popen return code."""
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-returncode).name}"
        return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


class WorkerSupervisor:
    """Run a worker command; when it dies, log why and start another after a back-off."""

    def __init__(
        self,
        command: list[str],
        env: dict[str, str] | None = None,
        *,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
        stable_seconds: float = 60.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.command = command
        self.env = env
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.stable_seconds = stable_seconds
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        # Its own session: a terminal's Ctrl+C reaches serve alone, which stops the worker once
        # (SIGINT, so it finishes its job); a second SIGINT would cut the job short.
        return subprocess.Popen(  # noqa: S603 - our own command
            self.command, env=self.env, start_new_session=True
        )

    def start(self) -> int:
        """Start the worker and the thread that watches it; return the worker's PID."""
        with self._lock:
            self.process = self._spawn()
        # The watching thread lives until stop(): Linux's parent-death signal follows the
        # thread that started a child, so a restarted worker must come from a lasting thread.
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()
        return self.process.pid

    def _watch(self) -> None:
        delay = self.first_delay
        while True:
            process = self.process
            assert process is not None
            started = time.monotonic()
            returncode = process.wait()  # reaps it: no zombie is left behind
            if self._stopping.is_set():
                return
            ran = time.monotonic() - started
            if ran >= self.stable_seconds:
                delay = self.first_delay
            log.warning(
                "job worker (process %d) %s after %.1f s; starting another in %.1f s",
                process.pid,
                describe_exit(returncode),
                ran,
                delay,
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = self._spawn()
                self.restarts += 1
            log.info("started job worker (process %d)", self.process.pid)
            delay = min(delay * 2, self.max_delay)

    def stop(self) -> None:
        """Stop the worker (SIGINT: it finishes its current job), then SIGKILL after a timeout."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send `signum` when the parent dies; return whether it was set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def exit_with_parent(
    parent_pid: int, poll_seconds: float = 1.0, on_orphaned: Callable[[], None] | None = None
) -> None:
    """Make this process stop when `parent_pid` is no longer its parent (serve died).

    The parent-death signal (SIGTERM) acts at once on Linux; a polling thread covers other
    systems, and the moment between the fork and prctl. Orphaned, the process is sent SIGTERM
    and, if it is still here 10 s later, leaves without waiting.
    """
    _set_parent_death_signal(signal.SIGTERM)

    def orphaned() -> None:
        log.warning("serve (process %d) is gone: this worker stops too", parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        os._exit(1)

    action = on_orphaned or orphaned
    if os.getppid() != parent_pid:
        action()
        return

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_seconds)
        action()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
