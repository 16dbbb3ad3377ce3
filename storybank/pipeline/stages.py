"""Stage wiring and the story status state machine.

Adding a stage is one entry in STAGES: its name, the story status while it runs, which stories
it applies to, and the import path of its handler. Nothing else needs rewiring.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from storybank.stories.models import Story
from storybank.stories.models import StoryStatus

ProgressCallback = Callable[[float], None]


class StageHandler(Protocol):
    """Run one stage for a story; must be safe to run again (retries are idempotent)."""

    def __call__(self, story_id: int, report_progress: ProgressCallback) -> None: ...


class StageError(Exception):
    """A stage failed for a reason a person can understand; the message is shown to them."""


class JobCancelled(Exception):
    """The job's row is gone (its story was erased): stop at once and keep nothing."""


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline."""

    name: str
    running_status: StoryStatus
    handler_path: str
    applies_to: Callable[[Story], bool] = lambda story: True

    def handler(self) -> StageHandler:
        """Import and return the stage's handler."""
        module_name, function_name = self.handler_path.split(":")
        return getattr(importlib.import_module(module_name), function_name)


def _is_audio(story: Story) -> bool:
    return story.source_kind == "audio"


STAGES: tuple[Stage, ...] = (
    Stage("ingest", StoryStatus.RECEIVED, "storybank.ingest.services:ingest_story"),
    Stage(
        "transcribe",
        StoryStatus.TRANSCRIBING,
        "storybank.transcribe.services:transcribe_story",
        applies_to=_is_audio,
    ),
    Stage("anonymise", StoryStatus.ANONYMISING, "storybank.anonymise.services:anonymise_story"),
    Stage("tag", StoryStatus.TAGGING, "storybank.tag.services:tag_story"),
)

STAGE_NAMES = {stage.name: stage for stage in STAGES}

# What each stage and job state is called on screen, in words a reporter uses.
STAGE_LABELS = {
    "ingest": "Checking the upload",
    "transcribe": "Typing up the recording",
    "anonymise": "Hiding names and places",
    "tag": "Finding the themes",
}
JOB_STATUS_LABELS = {
    "queued": "Waiting its turn",
    "running": "Working on it",
    "done": "Done",
    "failed": "Stopped",
    "cancelled": "Cancelled",
}


def stage_label(name: str | None) -> str:
    """A stage's name on screen ("Typing up the recording"), or the name if it has none."""
    return STAGE_LABELS.get(name or "", (name or "").capitalize())


# Which status may follow which. The pipeline stages move a story forward in order; review
# approves or returns it; any working status may fail, and a failed one may be retried.
_WORKING = {
    StoryStatus.RECEIVED,
    StoryStatus.TRANSCRIBING,
    StoryStatus.ANONYMISING,
    StoryStatus.TAGGING,
}
ALLOWED_TRANSITIONS: dict[StoryStatus, set[StoryStatus]] = {
    **{status: _WORKING | {StoryStatus.IN_REVIEW, StoryStatus.FAILED} for status in _WORKING},
    StoryStatus.FAILED: set(_WORKING),
    # A correction during review runs the stages after transcription again.
    StoryStatus.IN_REVIEW: _WORKING | {StoryStatus.APPROVED, StoryStatus.RETURNED},
    StoryStatus.RETURNED: set(_WORKING),
    StoryStatus.APPROVED: set(),
    StoryStatus.WITHDRAWN: set(),
}
for _status in StoryStatus:
    if _status is not StoryStatus.WITHDRAWN:
        ALLOWED_TRANSITIONS[_status].add(StoryStatus.WITHDRAWN)


class InvalidTransition(Exception):
    """A status change the state machine does not allow."""


def move_story(story: Story, new_status: StoryStatus) -> None:
    """Change a story's status, refusing moves the state machine does not allow."""
    current = StoryStatus(story.status)
    if new_status is current:
        return
    if new_status not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(f"a story cannot go from {current} to {new_status}")
    story.status = new_status.value


def stages_for(story: Story) -> list[Stage]:
    """Return the stages that apply to this story, in order."""
    return [stage for stage in STAGES if stage.applies_to(story)]


def stage_after(story: Story, stage_name: str | None) -> Stage | None:
    """Return the stage that follows `stage_name` for this story (the first if None)."""
    stages = stages_for(story)
    if stage_name is None:
        return stages[0] if stages else None
    names = [stage.name for stage in stages]
    index = names.index(stage_name)
    return stages[index + 1] if index + 1 < len(stages) else None
