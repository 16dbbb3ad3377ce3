"""The shared sample stories: no name, phone, email or ID is left, as written or lower-cased."""

from __future__ import annotations

import json

import pytest

from storybank.anonymise.engine import Anonymiser
from tests.anonymise.helpers import SHARED

SAMPLES = SHARED / "samples" / "stories.jsonl"
MUST_CATCH = {"PERSON", "PHONE", "EMAIL", "ID"}


def _stories() -> list[dict]:
    if not SAMPLES.exists():
        return []
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.skipif(not SAMPLES.exists(), reason="../shared/samples is absent")
@pytest.mark.parametrize("lower", [False, True], ids=["written", "lower-cased"])
def test_sample_stories_leak_no_name_phone_email_or_id(anonymiser: Anonymiser, lower: bool) -> None:
    leaks = []
    for story in _stories():
        text = story["text"].lower() if lower else story["text"]
        marks = bytearray(len(text))
        for detection in anonymiser.detect(text):
            marks[detection.start : detection.end] = b"\x01" * (detection.end - detection.start)
        for span in story["spans"]:
            if span["label"] not in MUST_CATCH:
                continue
            if not all(marks[i] for i in range(span["start"], span["end"]) if text[i].isalnum()):
                leaks.append((story["id"], span["label"], span["text"]))
    assert leaks == []
