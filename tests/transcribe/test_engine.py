"""The real tiny.en engine on real speech: accuracy, word timings, silence, progress, no drift."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from storybank.transcribe.engine import AudioError
from storybank.transcribe.engine import Transcript
from storybank.transcribe.engine import TranscriptionEngine
from storybank.transcribe.engine import Word
from storybank.transcribe.engine import load_audio_16k
from storybank.transcribe.wer import word_error_rate

pytestmark = pytest.mark.slow

LONG = "derived/long_real_concat.wav"


@pytest.fixture(scope="module")
def jfk(engine: TranscriptionEngine, audio_dir: Path) -> tuple[Transcript, list[float]]:
    progress: list[float] = []
    transcript = engine.transcribe(audio_dir / "src/jfk.flac", on_progress=progress.append)
    return transcript, progress


@pytest.fixture(scope="module")
def long_transcript(engine: TranscriptionEngine, audio_dir: Path) -> Transcript:
    return engine.transcribe(audio_dir / LONG)


def _words(transcript: Transcript) -> list[Word]:
    return [word for segment in transcript.segments for word in segment.words]


def test_jfk_is_transcribed_with_under_ten_percent_word_errors(jfk, manifest):
    transcript, _ = jfk
    assert word_error_rate(manifest["src/jfk.flac"]["reference"], transcript.text) < 0.10
    assert transcript.language == "en"
    assert transcript.duration == pytest.approx(11.0, abs=0.05)


def test_word_timestamps_rise_and_stay_inside_the_clip(jfk):
    transcript, _ = jfk
    words = _words(transcript)
    assert len(words) >= 20
    starts = [word.start for word in words]
    assert starts == sorted(starts)
    for word in words:
        assert 0.0 <= word.start <= word.end <= transcript.duration
        assert word.end - word.start < 3.0, word
        assert 0.0 <= word.probability <= 1.0
        assert word.word == word.word.strip() and word.word
    assert words[0].start < 1.0
    assert words[-1].end > 9.0
    for segment in transcript.segments:
        assert segment.start <= segment.words[0].start
        assert segment.words[-1].end <= segment.end + 0.01


def test_the_text_is_the_segments_joined(jfk):
    transcript, _ = jfk
    assert transcript.text == " ".join(segment.text for segment in transcript.segments)


def test_progress_rises_to_exactly_one(jfk):
    _, progress = jfk
    assert len(progress) >= 3
    assert all(a <= b for a, b in itertools.pairwise(progress))
    assert all(0.0 <= fraction <= 1.0 for fraction in progress)
    assert progress[-1] == 1.0
    assert progress.count(1.0) == 1


def test_noise_alone_gives_an_empty_transcript(engine, audio_dir):
    progress: list[float] = []
    transcript = engine.transcribe(
        audio_dir / "derived/noise_only_30s.wav", on_progress=progress.append
    )
    assert transcript.text == ""
    assert transcript.segments == ()
    assert transcript.duration == pytest.approx(30.0, abs=0.05)
    assert progress[-1] == 1.0


def test_samples_can_be_passed_instead_of_a_file(engine, audio_dir, jfk):
    samples = load_audio_16k(audio_dir / "src/jfk.flac")
    assert samples.dtype.name == "float32" and samples.ndim == 1
    assert engine.transcribe(samples).text == jfk[0].text


@pytest.mark.parametrize("extension", ["mp3", "ogg", "webm", "mp4", "flac"])
def test_common_containers_decode_to_16k_mono(audio_dir, extension):
    samples = load_audio_16k(audio_dir / f"src/sonnet001.{extension}")
    assert samples.ndim == 1
    assert len(samples) / 16_000 == pytest.approx(9.0, abs=0.1)
    assert 0.01 < float(abs(samples).max()) <= 1.0


def test_a_file_that_is_not_audio_is_refused_with_a_reason(engine, tmp_path):
    fake = tmp_path / "story.wav"
    fake.write_text("this is not a recording")
    with pytest.raises(AudioError, match="could not be read as audio"):
        engine.transcribe(fake)
    with pytest.raises(AudioError, match="no audio file"):
        engine.transcribe(tmp_path / "missing.m4a")


def test_the_four_minute_recording_does_not_drift(long_transcript, manifest):
    """Each clip's first word starts within a second of where the clip was put."""
    spans: list[dict[str, Any]] = manifest[LONG]["clip_spans"]
    words = sorted(_words(long_transcript), key=lambda word: word.start)
    offsets = {}
    for span in spans:
        inside = [
            word
            for word in words
            if span["start"] - 0.5 <= (word.start + word.end) / 2 < span["end"] + 0.5
        ]
        assert inside, f"no words for {span['file']}"
        offsets[span["file"]] = inside[0].start - span["start"]
    late = {file: round(offset, 2) for file, offset in offsets.items() if abs(offset) > 1.0}
    assert not late


def test_the_four_minute_recording_is_accurate(long_transcript, manifest):
    reference = " ".join(span["reference"] for span in manifest[LONG]["clip_spans"])
    assert word_error_rate(reference, long_transcript.text) < 0.10
    assert long_transcript.duration == pytest.approx(manifest[LONG]["duration_s"], abs=0.05)
