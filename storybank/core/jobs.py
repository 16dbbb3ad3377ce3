"""The job queue: Huey built from one URL, with IDs as the only payload."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from huey import Huey
from huey import MemoryHuey
from huey import RedisHuey
from huey import SqliteHuey
from huey import crontab
from huey.consumer import Consumer

QUEUE_NAME = "storybank"


def huey_from_url(url: str, immediate: bool = False) -> Huey:
    """Build a Huey for sqlite:///path (embedded), redis://… or postgresql://… (scaled out)."""
    if immediate or url == "memory://":
        return MemoryHuey(QUEUE_NAME, results=False, immediate=immediate)
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.parent.is_dir():
            path.parent.mkdir(mode=0o700, parents=True)
        # Created 0600 before SQLite opens it, so its WAL and SHM are private too.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return SqliteHuey(QUEUE_NAME, results=False, filename=str(path))
    if scheme in {"redis", "rediss"}:
        return RedisHuey(QUEUE_NAME, results=False, url=url)
    if scheme in {"postgresql", "postgres"}:
        try:
            from huey.contrib.sql_huey import SqlHuey
        except ImportError as error:
            raise RuntimeError(
                "A PostgreSQL queue needs peewee: pip install 'storybank[queue-sql]'"
            ) from error
        return SqlHuey(QUEUE_NAME, results=False, database=url)
    raise ValueError(f"unknown queue {scheme!r}: use sqlite:///, redis:// or postgresql://")


class TaskQueue:
    """Runs pipeline jobs by ID, and periodic sweeps: abandoned jobs, then storage debris."""

    def __init__(
        self,
        huey: Huey,
        run_job: Callable[[int], None],
        resume_abandoned_jobs: Callable[[], None],
        sweep_storage: Callable[[], None] | None = None,
    ) -> None:
        self.huey = huey
        self._run_job = huey.task(name="storybank.run_job")(run_job)
        self._resume = huey.periodic_task(crontab(minute="*"), name="storybank.resume_jobs")(
            resume_abandoned_jobs
        )
        if sweep_storage is not None:
            self._sweep = huey.periodic_task(
                crontab(minute="*/10"), name="storybank.sweep_storage"
            )(sweep_storage)

    @property
    def immediate(self) -> bool:
        """Whether jobs run at once, in the caller (tests and one-off commands)."""
        return bool(self.huey.immediate)

    def enqueue(self, job_id: int) -> None:
        """Queue one job; the payload is its ID and nothing else."""
        if not isinstance(job_id, int):
            raise TypeError("queue payloads are job IDs only")
        self._run_job(job_id)

    def pending_count(self) -> int:
        """Return how many messages wait in the queue."""
        return self.huey.pending_count()

    def consumer(self, workers: int = 1) -> Consumer:
        """Build a consumer that runs queued jobs in this process."""
        # Poll at least once a second when idle, so a new story starts promptly.
        return self.huey.create_consumer(workers=workers, worker_type="thread", max_delay=1.0)
