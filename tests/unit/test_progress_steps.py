"""The progress a person follows: each stage once, in pipeline order, in plain words."""

from __future__ import annotations

from storybank.pipeline.models import Job
from storybank.pipeline.services import progress_steps
from storybank.pipeline.stages import STAGE_LABELS
from storybank.pipeline.stages import stage_label


def job(job_id: int, stage: str, status: str, progress: float = 1.0) -> Job:
    return Job(id=job_id, story_id=1, stage=stage, status=status, progress=progress, attempts=1)


def test_a_stage_run_again_shows_once_with_its_newest_job() -> None:
    jobs = [
        job(1, "ingest", "done"),
        job(2, "anonymise", "done"),
        job(3, "tag", "done"),
        job(4, "anonymise", "running", 0.5),  # after a correction
        job(5, "tag", "queued", 0.0),
    ]
    steps = progress_steps(list(reversed(jobs)))
    assert [(s.stage, s.status, s.progress) for s in steps] == [
        ("ingest", "done", 1.0),
        ("anonymise", "running", 0.5),
        ("tag", "queued", 0.0),
    ]
    assert [s.label for s in steps] == [
        "Checking the upload",
        "Hiding names and places",
        "Finding the themes",
    ]
    assert [s.status_label for s in steps] == ["Done", "Working on it", "Waiting its turn"]


def test_stage_names_are_words_a_reporter_uses() -> None:
    for name, label in STAGE_LABELS.items():
        assert name not in label.lower() and label[0].isupper()
    assert stage_label("transcribe") == "Typing up the recording"
    assert stage_label("someday") == "Someday" and stage_label(None) == ""
