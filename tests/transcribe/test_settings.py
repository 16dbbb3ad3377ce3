"""Whisper settings from the environment, and the transcript's JSON shape."""

from __future__ import annotations

import json

import pytest

from storybank.transcribe.engine import ModelSettingsError
from storybank.transcribe.engine import Segment
from storybank.transcribe.engine import Transcript
from storybank.transcribe.engine import WhisperSettings
from storybank.transcribe.engine import Word
from storybank.transcribe.engine import with_model


def test_unset_variables_keep_the_measured_defaults():
    assert WhisperSettings.from_env({}) == WhisperSettings()
    assert WhisperSettings.from_env({"STORYBANK_WHISPER_MODEL": "  "}) == WhisperSettings()


def test_every_setting_is_read_from_its_variable():
    settings = WhisperSettings.from_env(
        {
            "STORYBANK_WHISPER_BACKEND": "openai-whisper",
            "STORYBANK_WHISPER_MODEL": "/models/base.en",
            "STORYBANK_WHISPER_CHECKPOINT": "/models/tiny.en.pt",
            "STORYBANK_WHISPER_COMPUTE_TYPE": "float32",
            "STORYBANK_WHISPER_THREADS": "2",
            "STORYBANK_WHISPER_BEAM_SIZE": "1",
            "STORYBANK_WHISPER_BATCH_SIZE": "8",
            "STORYBANK_WHISPER_VAD": "off",
        }
    )
    assert settings == WhisperSettings(
        backend="openai-whisper",
        model="/models/base.en",
        checkpoint="/models/tiny.en.pt",
        compute_type="float32",
        threads=2,
        beam_size=1,
        batch_size=8,
        vad=False,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("STORYBANK_WHISPER_THREADS", "two", "whole number"),
        ("STORYBANK_WHISPER_BEAM_SIZE", "0", "at least 1"),
        ("STORYBANK_WHISPER_VAD", "maybe", "true or false"),
    ],
)
def test_a_bad_value_names_the_variable(name, value, message):
    with pytest.raises(ModelSettingsError, match=message) as raised:
        WhisperSettings.from_env({name: value})
    assert name in raised.value.message


def test_settings_are_hashable_so_engines_can_be_cached_by_them():
    assert len({WhisperSettings(), WhisperSettings(), WhisperSettings(beam_size=1)}) == 2


def test_with_model_replaces_only_a_given_model():
    settings = WhisperSettings(threads=2)
    assert with_model(settings, "") is settings
    assert with_model(settings, "/m") == WhisperSettings(threads=2, model="/m")


def test_to_json_has_exactly_the_command_line_contract_shape():
    transcript = Transcript(
        text="Hello there.",
        language="en",
        duration=2.5,
        segments=(
            Segment(
                start=0.1,
                end=1.2,
                text="Hello there.",
                words=(Word(0.1, 0.5, "Hello", 0.9), Word(0.6, 1.2, "there.", 0.8)),
            ),
        ),
    )
    data = json.loads(json.dumps(transcript.to_json()))
    assert data == {
        "text": "Hello there.",
        "language": "en",
        "duration": 2.5,
        "segments": [
            {
                "start": 0.1,
                "end": 1.2,
                "text": "Hello there.",
                "words": [
                    {"start": 0.1, "end": 0.5, "word": "Hello", "probability": 0.9},
                    {"start": 0.6, "end": 1.2, "word": "there.", "probability": 0.8},
                ],
            }
        ],
    }
