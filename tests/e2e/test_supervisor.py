"""The worker supervisor with real processes: reap, restart with back-off, stop, no orphans."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import pytest

from storybank.pipeline.processes import read_stat
from storybank.pipeline.supervisor import WorkerSupervisor
from storybank.pipeline.supervisor import describe_exit

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll until the predicate holds or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def is_gone(pid: int) -> bool:
    """Whether no process (not even a zombie) has this PID."""
    return read_stat(pid) is None


def is_dead(pid: int) -> bool:
    """Whether the process has stopped running (an orphan's zombie waits for init to reap it)."""
    stat = read_stat(pid)
    return stat is None or stat.state == "Z"


@pytest.fixture
def supervisor():
    made: list[WorkerSupervisor] = []

    def make(command: list[str], **options) -> WorkerSupervisor:
        made.append(WorkerSupervisor(command, **options))
        return made[-1]

    yield make
    for each in made:
        each.stop()


def test_a_killed_worker_is_reaped_and_restarted_and_why_is_logged(supervisor, caplog):
    caplog.set_level(logging.WARNING, "storybank.pipeline.supervisor")
    running = supervisor(SLEEPER, first_delay=0.05)
    first = running.start()
    os.kill(first, signal.SIGKILL)
    assert wait_for(lambda: running.restarts == 1 and running.process.pid != first)
    assert is_gone(first)  # reaped, not a zombie
    assert running.process.poll() is None
    assert f"job worker (process {first}) was killed by SIGKILL" in caplog.text


def test_a_worker_that_keeps_dying_is_restarted_less_and_less_often(supervisor, caplog):
    caplog.set_level(logging.WARNING, "storybank.pipeline.supervisor")
    spawned: list[float] = []
    crashing = supervisor(
        [sys.executable, "-c", "raise SystemExit(3)"], first_delay=0.1, max_delay=0.4
    )
    spawn = crashing._spawn

    def timed_spawn():
        spawned.append(time.monotonic())
        return spawn()

    crashing._spawn = timed_spawn
    crashing.start()
    assert wait_for(lambda: len(spawned) >= 5, timeout=15)
    crashing.stop()
    logged = r"exited with status 3 after [\d.]+ s; starting another in ([\d.]+) s"
    delays = re.findall(logged, caplog.text)
    assert delays[:4] == ["0.1", "0.2", "0.4", "0.4"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(spawned)]
    assert all(gap >= float(delay) for gap, delay in zip(gaps, delays, strict=False))


def test_stopping_stops_the_worker_and_does_not_restart_it(supervisor):
    running = supervisor(SLEEPER, first_delay=0.05)
    pid = running.start()
    running.stop()
    assert is_gone(pid)
    time.sleep(0.2)  # longer than the back-off: nothing may have been started
    assert running.restarts == 0


def test_describe_exit_names_the_signal_or_status():
    assert describe_exit(-9) == "was killed by SIGKILL"
    assert describe_exit(1) == "exited with status 1"


# A stand-in for `storybank serve`: supervises a worker that calls exit_with_parent.
PARENT = textwrap.dedent(
    """
    import os, sys, time
    from storybank.pipeline.supervisor import WorkerSupervisor
    child = (
        "import os, time; from storybank.pipeline import supervisor; "
        + sys.argv[1]
        + f"supervisor.exit_with_parent({os.getpid()}, poll_seconds=0.1); time.sleep(60)"
    )
    pid = WorkerSupervisor([sys.executable, "-c", child]).start()
    print(pid, flush=True)
    time.sleep(60)
    """
)
# Without Linux's parent-death signal (another system), the parent poll must do it alone.
NO_PDEATHSIG = "supervisor._set_parent_death_signal = lambda signum: False; "


@pytest.mark.parametrize("setup", ["", NO_PDEATHSIG], ids=["pdeathsig", "parent-poll"])
def test_a_worker_does_not_outlive_a_sigkilled_parent(setup):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, setup],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    worker = None
    try:
        worker = int(parent.stdout.readline())
        assert read_stat(worker) is not None
        assert os.getsid(worker) != os.getsid(parent.pid)  # a terminal's Ctrl+C reaches serve only
        parent.kill()
        parent.wait()
        assert wait_for(lambda: is_dead(worker), timeout=5), "the worker lives on as an orphan"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
        if worker is not None and not is_dead(worker):
            os.kill(worker, signal.SIGKILL)
        parent.wait()
        parent.stdout.close()
