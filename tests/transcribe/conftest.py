"""Fixtures for the transcription tests: the shared test audio and one engine per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storybank.transcribe.engine import TranscriptionEngine
from storybank.transcribe.engine import WhisperSettings
from storybank.transcribe.engine import load_engine

AUDIO = Path(__file__).resolve().parents[3] / "shared" / "data" / "audio"


@pytest.fixture(scope="session")
def audio_dir() -> Path:
    """The public test audio (../shared/data/audio), or a skip when it is not there."""
    if not (AUDIO / "manifest.json").is_file():
        pytest.skip(f"the shared test audio is not at {AUDIO}")
    return AUDIO


@pytest.fixture(scope="session")
def manifest(audio_dir: Path) -> dict[str, dict[str, Any]]:
    """The audio manifest, by file name."""
    entries = json.loads((audio_dir / "manifest.json").read_text())
    return {entry["file"]: entry for entry in entries}


@pytest.fixture(scope="session")
def engine() -> TranscriptionEngine:
    """The default engine (bundled tiny.en), whatever STORYBANK_WHISPER_* says; loaded once."""
    return load_engine(WhisperSettings())
