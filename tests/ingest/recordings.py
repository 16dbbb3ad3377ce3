"""Recordings for the ingest tests: the shared data, files made from it, and ways to read
them back."""

from __future__ import annotations

import errno
import os
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from typing import NamedTuple

import av
import numpy as np
import pytest
from av.audio.frame import AudioFrame
from av.container import OutputContainer

AUDIO = Path(__file__).resolve().parents[3] / "shared" / "data" / "audio"


def shared(name: str) -> Path:
    """Return a file from the shared audio data, or skip the test if the data is absent."""
    path = AUDIO / name
    if not path.is_file():
        pytest.skip(f"shared audio data is not present ({path})")
    return path


def decoded_frames(
    source: Path, *, sample_format: str, layout: str, rate: int, frame_size: int | None = None
) -> Iterator[AudioFrame]:
    """Yield a recording's audio converted for an encoder, without timestamps."""
    resampler = av.AudioResampler(
        format=sample_format, layout=layout, rate=rate, frame_size=frame_size
    )
    with av.open(str(source)) as container:
        for frame in container.decode(audio=0):
            yield from resampler.resample(frame)
    yield from resampler.resample(None)


def encode_audio(
    container: OutputContainer,
    codec: str,
    source: Path,
    *,
    rate: int,
    frame_size: int | None = None,
) -> None:
    """Encode a recording as mono into an open output container."""
    stream = container.add_stream(codec, rate=rate, layout="mono")
    sample_format = stream.codec_context.format.name
    for frame in decoded_frames(
        source, sample_format=sample_format, layout="mono", rate=rate, frame_size=frame_size
    ):
        frame.pts = None
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def make_mp4(path: Path, *, sound_from: Path | None) -> Path:
    """Make a small MPEG-4 video, 11 s of changing grey, with a sound track if given one."""
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=5)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        if sound_from is not None:
            encode_audio(container, "aac", sound_from, rate=16_000, frame_size=1024)
        for index in range(55):
            pixels = np.full((48, 64, 3), index * 4, dtype=np.uint8)
            container.mux(video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(video.encode(None))
    return path


class WriteOnly:
    """A stream that cannot seek, so the muxer cannot go back to write the duration."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target

    def write(self, data: bytes) -> int:
        return self.target.write(data)


class Wav(NamedTuple):
    """A 16-bit WAV file as read back: its format, and samples with one column per channel."""

    rate: int
    channels: int
    sample_bytes: int
    samples: np.ndarray

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def read_wav(path: Path) -> Wav:
    """Read a 16-bit PCM WAV file whole (the test files are small)."""
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        data = wav.readframes(params.nframes)
    assert params.sampwidth == 2, "expected 16-bit samples"
    samples = np.frombuffer(data, dtype="<i2").reshape(-1, params.nchannels)
    return Wav(params.framerate, params.nchannels, params.sampwidth, samples)


def write_looped_wav(path: Path, source: Path, seconds: float, rate: int = 44_100) -> Path:
    """Write a long 16-bit stereo WAV by repeating a real recording, a chunk at a time."""
    chunk = b"".join(
        frame.to_ndarray().tobytes()
        for frame in decoded_frames(source, sample_format="s16", layout="stereo", rate=rate)
    )
    remaining = round(seconds * rate) * 4
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        while remaining > 0:
            part = chunk[:remaining]
            wav.writeframesraw(part)
            remaining -= len(part)
    return path


class FifoSegment:
    """A named pipe posing as a media file, which notes every time something opens it to read.

    Opening a FIFO for reading blocks until a writer comes, so a thread keeps offering to write
    the real recording: if FFmpeg follows a reference to this path, it gets sound, and we know.
    """

    def __init__(self, path: Path, payload: bytes) -> None:
        os.mkfifo(path)
        self.path = path
        self.payload = payload
        self.opens = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:  # ENXIO: nobody has it open for reading yet
                if error.errno != errno.ENXIO:
                    raise
                time.sleep(0.002)
                continue
            self.opens += 1
            os.set_blocking(fd, True)
            try:
                os.write(fd, self.payload)
            except BrokenPipeError:
                pass
            finally:
                os.close(fd)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
