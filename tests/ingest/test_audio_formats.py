"""Recordings we accept: each container phones and browsers make becomes the same canonical WAV."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

from storybank.ingest import audio
from storybank.ingest.audio import ALLOWED_DEMUXERS
from storybank.ingest.audio import make_canonical_wav
from storybank.ingest.audio import probe_audio
from tests.ingest.recordings import read_wav
from tests.ingest.recordings import shared

THREE_HOURS = 3 * 60 * 60
MP4 = "mov,mp4,m4a,3gp,3g2,mj2"

ACCEPTED = [
    ("src/sonnet001.mp3", "mp3", "mp3"),
    ("src/jfk_whispercpp.mp3", "mp3", "mp3"),
    ("src/sonnet001.ogg", "ogg", "vorbis"),
    ("src/sonnet001.webm", "matroska,webm", "vorbis"),
    ("src/sonnet001.mp4", MP4, "aac"),
    ("src/sonnet001.flac", "flac", "flac"),
    ("src/jfk.flac", "flac", "flac"),
    ("src/LJ050-0131.wav", "wav", "pcm_s16le"),
    ("derived/long_real_concat.m4a", MP4, "aac"),
    ("derived/long_real_concat.webm", "matroska,webm", "opus"),
]


def test_the_allowed_demuxers_are_exactly_the_six_kinds_we_accept():
    assert {MP4, "mp3", "ogg", "matroska,webm", "wav", "flac"} == ALLOWED_DEMUXERS


def test_the_module_imports_neither_flask_nor_the_database():
    tree = ast.parse(Path(audio.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    roots = {name.split(".")[0] for name in imported}
    assert roots <= set(sys.stdlib_module_names) | {"__future__", "av"}


@pytest.mark.parametrize(("name", "demuxer", "codec"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_each_accepted_container_becomes_16khz_mono_16bit_of_the_same_length(
    name, demuxer, codec, manifest_durations, tmp_path
):
    source = shared(name)
    probe = probe_audio(source, max_seconds=THREE_HOURS)
    assert (probe.format_name, probe.codec, probe.has_video) == (demuxer, codec, False)
    assert probe.duration == pytest.approx(manifest_durations[name], abs=0.1)

    target = tmp_path / "canonical.wav"
    seconds = make_canonical_wav(source, target)

    wav = read_wav(target)
    assert (wav.rate, wav.channels, wav.sample_bytes) == (16_000, 1, 2)
    assert wav.seconds == pytest.approx(seconds)
    assert seconds == pytest.approx(manifest_durations[name], abs=0.1)
    assert np.abs(wav.samples).max() > 1000  # speech, not silence


def test_a_canonical_file_is_copied_sample_for_sample(tmp_path):
    source = shared("derived/long_real_concat.wav")  # already 16 kHz mono 16-bit
    make_canonical_wav(source, tmp_path / "canonical.wav")
    assert np.array_equal(read_wav(tmp_path / "canonical.wav").samples, read_wav(source).samples)


def test_stereo_is_mixed_down_to_mono_from_both_channels(tmp_path):
    source = shared("src/stereo_diarization.wav")
    probe = probe_audio(source, max_seconds=THREE_HOURS)
    assert (probe.channels, probe.sample_rate) == (2, 16_000)

    make_canonical_wav(source, tmp_path / "canonical.wav")

    canonical = read_wav(tmp_path / "canonical.wav")
    stereo = read_wav(source).samples.astype(float)
    assert canonical.channels == 1
    # One speaker is on each side; the mix keeps both, at half level.
    mix = (stereo[:, 0] + stereo[:, 1]) / 2
    assert np.abs(canonical.samples[:, 0] - mix).max() <= 1


def test_an_8khz_phone_recording_is_upsampled_to_16khz(phone_call_8khz, tmp_path):
    probe = probe_audio(phone_call_8khz, max_seconds=THREE_HOURS)
    assert (probe.format_name, probe.codec, probe.sample_rate) == ("wav", "pcm_mulaw", 8000)

    seconds = make_canonical_wav(phone_call_8khz, tmp_path / "canonical.wav")

    wav = read_wav(tmp_path / "canonical.wav")
    assert (wav.rate, wav.channels) == (16_000, 1)
    assert seconds == pytest.approx(11.0, abs=0.1)
    assert np.abs(wav.samples).max() > 1000


def test_noise_without_speech_is_still_a_recording(manifest_durations, tmp_path):
    source = shared("derived/noise_only_30s.wav")
    assert probe_audio(source, max_seconds=THREE_HOURS).duration == pytest.approx(30.0)
    assert make_canonical_wav(source, tmp_path / "canonical.wav") == pytest.approx(30.0, abs=0.1)


def test_a_phone_video_with_sound_is_accepted_and_only_its_sound_is_used(
    video_with_sound, tmp_path
):
    probe = probe_audio(video_with_sound, max_seconds=THREE_HOURS)
    assert (probe.format_name, probe.codec, probe.has_video) == (MP4, "aac", True)

    seconds = make_canonical_wav(video_with_sound, tmp_path / "canonical.wav")

    assert seconds == pytest.approx(11.0, abs=0.1)
    assert read_wav(tmp_path / "canonical.wav").channels == 1


def test_a_webm_without_a_duration_is_measured_from_its_packets(webm_without_duration, tmp_path):
    probe = probe_audio(webm_without_duration, max_seconds=THREE_HOURS)
    assert probe.duration == pytest.approx(252.255, abs=0.1)

    seconds = make_canonical_wav(webm_without_duration, tmp_path / "canonical.wav")

    assert seconds == pytest.approx(252.255, abs=0.1)


def test_progress_rises_to_one_in_small_steps(tmp_path):
    seen: list[float] = []
    make_canonical_wav(shared("derived/long_real_concat.m4a"), tmp_path / "c.wav", seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert 50 <= len(seen) <= 101  # about once a percent: each report is a database write
    assert all(0 < value <= 1 for value in seen)


def test_progress_without_a_duration_follows_the_bytes_read(webm_without_duration, tmp_path):
    seen: list[float] = []
    make_canonical_wav(webm_without_duration, tmp_path / "c.wav", seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert len(seen) > 5


def test_the_canonical_file_replaces_an_old_one_whole(tmp_path):
    target = tmp_path / "canonical.wav"
    target.write_bytes(b"an older attempt")
    make_canonical_wav(shared("src/jfk.flac"), target)
    assert read_wav(target).seconds == pytest.approx(11.0)
    assert [path.name for path in tmp_path.iterdir()] == ["canonical.wav"]
