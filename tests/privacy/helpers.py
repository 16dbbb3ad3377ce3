"""What the privacy tests share: a WAV that carries a marker, a transcriber that says it, and a
way to look for the marker in raw bytes."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Callable
from pathlib import Path

from storybank.transcribe.engine import Segment
from storybank.transcribe.engine import Transcript
from storybank.transcribe.engine import Word


def marked_wav(marker: str, seconds: float = 2.0, rate: int = 16_000) -> bytes:
    """Return a real mono WAV (a soft tone) with the marker in a chunk of its own."""
    frames = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 220 * n / rate)))
        for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    data = buffer.getvalue()
    note = marker.encode() + (b"\0" if len(marker) % 2 else b"")
    chunk = b"note" + struct.pack("<I", len(note)) + note
    body = data[8:] + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


class MarkerTranscriber:
    """Stands in for Whisper: its transcript names the marker. `during` runs mid-transcription."""

    def __init__(self, marker: str, during: Callable[[], None] | None = None) -> None:
        self.marker = marker
        self.during = during
        self.finished = 0

    def transcribe(self, audio, on_progress=None) -> Transcript:
        assert Path(audio).read_bytes()[:4] == b"RIFF"
        if self.during is not None:
            self.during()
        if on_progress:
            on_progress(0.5)
        words = (
            Word(0.1, 0.4, " I", 0.9),
            Word(0.4, 0.8, " met", 0.9),
            Word(0.8, 1.4, f" {self.marker}", 0.9),
            Word(1.4, 1.8, " again.", 0.9),
        )
        self.finished += 1
        return Transcript(
            f"I met {self.marker} again.",
            "en",
            2.0,
            (Segment(0.1, 1.8, f" I met {self.marker} again.", words),),
        )


def files_holding(marker: str, paths: list[Path]) -> list[str]:
    """Return the files among `paths` (folders searched through) whose bytes hold the marker."""
    needle = marker.encode()
    found = []
    for path in paths:
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        for file in files:
            if file.exists() and needle in file.read_bytes():
                found.append(str(file))
    return found
