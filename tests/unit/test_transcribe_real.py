"""The real Whisper tiny.en on real speech: accuracy, silence, progress, one load, integrity,
the command line. (Fakes stand in for the model in the web tests; this is the real path.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from storybank.transcribe import engine as whisper
from storybank.transcribe.cli import transcribe_command
from storybank.transcribe.wer import word_error_rate
from tests.conftest import SHARED

AUDIO = SHARED / "data" / "audio"
JFK = AUDIO / "src" / "jfk.flac"
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do "
    "for your country."
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not JFK.exists(), reason="shared audio data is not present"),
]


@pytest.fixture(scope="module")
def engine() -> whisper.TranscriptionEngine:
    return whisper.load_engine(whisper.WhisperSettings.from_env({}))


@pytest.fixture(scope="module")
def jfk(engine) -> tuple[whisper.Transcript, list[float]]:
    progress: list[float] = []
    return engine.transcribe(JFK, on_progress=progress.append), progress


def test_jfk_is_transcribed_with_under_ten_percent_word_errors(jfk):
    transcript, _ = jfk
    assert word_error_rate(JFK_TEXT, transcript.text) < 0.10
    assert transcript.language == "en"
    assert transcript.duration == pytest.approx(11.0, abs=0.2)


def test_words_have_increasing_timings_inside_the_clip(jfk):
    transcript, _ = jfk
    words = [word for segment in transcript.segments for word in segment.words]
    assert len(words) >= 20
    starts = [word.start for word in words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= transcript.duration + 0.5 for w in words)
    americans = next(w for w in words if "Americans" in w.word)
    assert 1.0 < americans.start < 3.5  # said about two seconds in
    assert transcript.to_json()["segments"][0]["words"][0].keys() == {
        "start",
        "end",
        "word",
        "probability",
    }


def test_progress_rises_to_one_as_segments_arrive(jfk):
    _, progress = jfk
    assert progress, "progress was reported"
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert all(0.0 <= value <= 1.0 for value in progress)


def test_thirty_seconds_of_noise_gives_an_empty_transcript(engine):
    noise = AUDIO / "derived" / "noise_only_30s.wav"
    transcript = engine.transcribe(noise)
    assert transcript.text.strip() == ""
    assert transcript.segments == ()


def test_the_model_loads_once_per_process(engine, monkeypatch):
    calls: list[object] = []
    monkeypatch.setattr(whisper, "_build_engine", lambda settings: calls.append(settings))
    assert whisper.load_engine(whisper.WhisperSettings.from_env({})) is engine
    assert calls == []


def test_a_tampered_model_is_refused(tmp_path: Path):
    copy = tmp_path / "model"
    shutil.copytree(whisper._bundled_model_dir(), copy)
    whisper._check_model_files(copy)  # the untouched copy passes
    data = bytearray((copy / "config.json").read_bytes())
    data[10] ^= 0x01
    (copy / "config.json").write_bytes(bytes(data))
    with pytest.raises(whisper.ModelIntegrityError, match="altered or damaged"):
        whisper._check_model_files(copy)


def test_the_command_line_prints_text_or_json():
    runner = CliRunner()
    plain = runner.invoke(transcribe_command, [str(JFK)])
    assert plain.exit_code == 0, plain.output
    assert "fellow Americans" in plain.stdout
    as_json = runner.invoke(transcribe_command, [str(JFK), "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert set(data) == {"text", "language", "duration", "segments"}
    assert data["segments"][0]["words"][0]["word"].strip()
    missing = runner.invoke(transcribe_command, ["/no/such/recording.m4a"])
    assert missing.exit_code == 2


def test_four_minutes_of_joined_clips_neither_drift_nor_loop(engine):
    manifest = json.loads((AUDIO / "manifest.json").read_text())
    entry = next(e for e in manifest if e["file"] == "derived/long_real_concat.wav")
    transcript = engine.transcribe(AUDIO / entry["file"])
    words = [word for segment in transcript.segments for word in segment.words]
    for span in entry["clip_spans"]:
        inside = [w for w in words if span["start"] - 0.5 <= w.start < span["end"]]
        assert inside, f"nothing heard in {span['file']}"
        # Each clip's first word starts where the clip starts: no drift over four minutes.
        assert abs(inside[0].start - span["start"]) < 1.5, span["file"]
    reference = " ".join(span["reference"] for span in entry["clip_spans"])
    assert word_error_rate(reference, transcript.text) < 0.12
    # No looping: no run of eight words repeats.
    tokens = transcript.text.lower().split()
    grams = [tuple(tokens[i : i + 8]) for i in range(len(tokens) - 7)]
    assert len(grams) == len(set(grams))
