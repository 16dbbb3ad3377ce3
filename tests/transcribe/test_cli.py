"""`storybank transcribe AUDIO [--model M] [--json]`, run through click's CliRunner."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from click.testing import CliRunner

from storybank.transcribe.cli import transcribe_command
from storybank.transcribe.engine import WhisperSettings

pytestmark = pytest.mark.slow


@pytest.fixture
def cli_runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner with the default Whisper settings, whatever this shell's environment says."""
    for field in fields(WhisperSettings):
        monkeypatch.delenv(f"STORYBANK_WHISPER_{field.name.upper()}", raising=False)
    return CliRunner()


def test_prints_the_transcript_as_plain_text(cli_runner, audio_dir):
    result = cli_runner.invoke(transcribe_command, [str(audio_dir / "src/jfk.flac")])
    assert result.exit_code == 0, result.output
    assert "ask what you can do for your country" in result.stdout.lower()
    assert not result.stdout.lstrip().startswith("{")


def test_json_follows_the_command_line_contract(cli_runner, audio_dir):
    result = cli_runner.invoke(transcribe_command, [str(audio_dir / "src/jfk.flac"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"text", "language", "duration", "segments"}
    assert data["language"] == "en"
    assert data["duration"] == pytest.approx(11.0, abs=0.05)
    assert "fellow Americans" in data["text"]
    for segment in data["segments"]:
        assert set(segment) == {"start", "end", "text", "words"}
        for word in segment["words"]:
            assert set(word) == {"start", "end", "word", "probability"}


def test_a_missing_file_exits_2_with_the_reason_on_stderr(cli_runner, tmp_path):
    result = cli_runner.invoke(transcribe_command, [str(tmp_path / "nowhere.m4a")])
    assert result.exit_code == 2
    assert "no audio file" in result.stderr
    assert result.stdout == ""


def test_a_file_that_is_not_audio_exits_2(cli_runner, tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_bytes(b"\x00\x01 definitely not an mp3 " * 100)
    result = cli_runner.invoke(transcribe_command, [str(fake)])
    assert result.exit_code == 2
    assert "could not be read as audio" in result.stderr


def test_a_missing_model_directory_exits_1_with_the_reason(cli_runner, audio_dir, tmp_path):
    result = cli_runner.invoke(
        transcribe_command,
        [str(audio_dir / "src/jfk.flac"), "--model", str(tmp_path / "no-model")],
    )
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
