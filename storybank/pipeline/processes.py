"""Who a worker process is (host, PID, start time), and whether it is still alive."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

HOST = socket.gethostname()
_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessStat:
    """The two fields of /proc/<pid>/stat that tell a live process from a dead or reused PID."""

    state: str
    start_ticks: int


def read_stat(pid: int, proc: Path = _PROC) -> ProcessStat | None:
    """Return a process's state and start time, or None if it does not exist (or no /proc)."""
    try:
        raw = (proc / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
        return None
    # The command name (field 2) may hold spaces and brackets: split after its last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return ProcessStat(state=fields[0], start_ticks=int(fields[19]))


def worker_identity(pid: int | None = None) -> str:
    """Name a process as host:pid:start, so its jobs can be told abandoned even if PIDs recycle."""
    pid = os.getpid() if pid is None else pid
    stat = read_stat(pid)
    return f"{HOST}:{pid}:{stat.start_ticks}" if stat else f"{HOST}:{pid}"


def _parse(identity: str) -> tuple[str, int, int | None] | None:
    host, _, rest = identity.partition(":")
    pid, _, start = rest.partition(":")
    if not host or not pid.isdigit() or (start and not start.isdigit()):
        return None
    return host, int(pid), int(start) if start else None


def is_worker_gone(identity: str | None) -> bool | None:
    """Return whether the worker named is gone for sure: True, False, or None (another host).

    A zombie counts as gone (its PID still answers a signal, but it runs nothing), and so does a
    process whose PID was reused by a later one (its start time differs).
    """
    if not identity:
        return True
    parsed = _parse(identity)
    if parsed is None:
        return None
    host, pid, start = parsed
    if host != HOST:
        return None
    if _PROC.is_dir():
        stat = read_stat(pid)
        if stat is None or stat.state in {"Z", "X", "x"}:
            return True
        return start is not None and stat.start_ticks != start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
