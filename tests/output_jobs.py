"""Test helper for background output jobs: note the stored progress after every report."""

from __future__ import annotations

import pytest

from storybank.exports import jobs
from storybank.exports.models import OutputJob
from storybank.extensions import db


def record_progress(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Wrap the jobs' progress reporter; return the list the stored values are noted in."""
    seen: list[float] = []
    real = jobs.progress_reporter

    def recording(job_id: int) -> jobs.Report:
        report = real(job_id)

        def wrapped(fraction: float) -> None:
            report(fraction)
            seen.append(db.session.get(OutputJob, job_id).progress)

        return wrapped

    monkeypatch.setattr(jobs, "progress_reporter", recording)
    return seen
