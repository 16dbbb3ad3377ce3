"""Fixtures for the audio ingest tests: the shared recordings, and small files made from them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests.ingest.recordings import FifoSegment
from tests.ingest.recordings import WriteOnly
from tests.ingest.recordings import encode_audio
from tests.ingest.recordings import make_mp4
from tests.ingest.recordings import shared


@pytest.fixture(scope="session")
def manifest_durations() -> dict[str, float]:
    """The length of every shared file, from the data set's manifest."""
    entries = json.loads(shared("manifest.json").read_text(encoding="utf-8"))
    return {entry["file"]: entry["duration_s"] for entry in entries}


@pytest.fixture(scope="session")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for files the tests make from the shared recordings."""
    return tmp_path_factory.mktemp("made")


@pytest.fixture(scope="session")
def phone_call_8khz(made: Path) -> Path:
    """JFK as a phone would carry it: 8 kHz mono mu-law in a WAV."""
    path = made / "phone-call-8khz.wav"
    with av.open(str(path), "w", format="wav") as container:
        encode_audio(container, "pcm_mulaw", shared("src/jfk.flac"), rate=8000)
    return path


@pytest.fixture(scope="session")
def video_without_sound(made: Path) -> Path:
    return make_mp4(made / "silent-film.mp4", sound_from=None)


@pytest.fixture(scope="session")
def video_with_sound(made: Path) -> Path:
    return make_mp4(made / "phone-video.mp4", sound_from=shared("src/jfk.flac"))


@pytest.fixture(scope="session")
def raw_aac(made: Path) -> Path:
    """JFK as a bare ADTS AAC stream: real audio, but not in a container we accept."""
    path = made / "bare.aac"
    with av.open(str(path), "w", format="adts") as container:
        encode_audio(container, "aac", shared("src/jfk.flac"), rate=16_000, frame_size=1024)
    return path


@pytest.fixture(scope="session")
def webm_without_duration(made: Path) -> Path:
    """The long Opus WebM remuxed as a browser's MediaRecorder writes it: no duration."""
    path = made / "media-recorder.webm"
    with (
        path.open("wb") as raw,
        av.open(str(shared("derived/long_real_concat.webm"))) as source,
        av.open(WriteOnly(raw), "w", format="webm") as target,
    ):
        audio = target.add_stream_from_template(source.streams.audio[0])
        for packet in source.demux(source.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = audio
                target.mux(packet)
    return path


@pytest.fixture
def fifo_segment(tmp_path: Path) -> Iterator[FifoSegment]:
    """A watched `segment.mp3` in tmp_path that would play the sonnet if anything opened it."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs named pipes")
    segment = FifoSegment(tmp_path / "segment.mp3", shared("src/sonnet001.mp3").read_bytes())
    yield segment
    segment.close()
