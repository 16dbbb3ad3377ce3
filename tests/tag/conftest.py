"""Fixtures for the tagger tests: the shared sample stories, when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "stories.jsonl"


@pytest.fixture(scope="session")
def shared_samples() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip("the shared samples are not here")
    with SAMPLES.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
