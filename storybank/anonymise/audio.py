"""Redacted audio: beep every accepted redaction (placed by its words' timings) and every
stretch a reviewer hid; read and write the times people type."""

from __future__ import annotations

import math
import os
import re
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storybank.transcribe.timing import TimedWord

# Measured on these machines: muting 0.15 s either side of each redacted word left nothing
# that re-transcription could find. Words whose time a correction estimated get more.
PADDING_SECONDS = 0.15
ESTIMATED_PADDING_SECONDS = 0.4
BEEP_HERTZ = 1000.0
BEEP_LEVEL = 0.15  # of full scale: audible, not painful

_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")


@dataclass(frozen=True)
class Unplaceable:
    """A redaction with no timed word under it, so it cannot be found in the audio."""

    start: int
    end: int
    label: str


def time_ranges(
    spans: Sequence[tuple[int, int, str]], words: Sequence[TimedWord]
) -> tuple[list[tuple[float, float]], list[Unplaceable]]:
    """Turn redacted character spans into padded time ranges, merged where they overlap."""
    ranges: list[tuple[float, float]] = []
    missing: list[Unplaceable] = []
    for start, end, label in spans:
        covered = [w for w in words if w.char_start < end and w.char_end > start]
        if not covered:
            missing.append(Unplaceable(start, end, label))
            continue
        for word in covered:
            pad = ESTIMATED_PADDING_SECONDS if word.estimated else PADDING_SECONDS
            ranges.append((max(word.start - pad, 0.0), word.end + pad))
    return merge_ranges(ranges), missing


def merge_ranges(ranges: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sort time ranges and join those that overlap or touch."""
    merged: list[tuple[float, float]] = []
    for begin, finish in sorted(ranges):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def word_range_seconds(words: Sequence[TimedWord], first: int, last: int) -> tuple[float, float]:
    """The padded stretch of audio from the first chosen word to the last, pauses included."""
    chosen = words[first : last + 1]
    begin_pad = ESTIMATED_PADDING_SECONDS if chosen[0].estimated else PADDING_SECONDS
    end_pad = ESTIMATED_PADDING_SECONDS if chosen[-1].estimated else PADDING_SECONDS
    begin = min(word.start for word in chosen)
    finish = max(word.end for word in chosen)
    return max(begin - begin_pad, 0.0), finish + end_pad


def parse_seconds(value: str) -> float | None:
    """Read a time typed as seconds (83.5) or a clock (1:23, 1:23.5, 0:01:23); None if neither."""
    value = (value or "").strip().replace(",", ".")
    match = _CLOCK.match(value)
    if match:
        hours, minutes, seconds = match.groups()
        if float(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
            return None
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def format_seconds(seconds: float) -> str:
    """Show a time as minutes and seconds to a tenth: 83.46 becomes 1:23.5."""
    tenths = round(seconds * 10)
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest // 10:02d}.{rest % 10}"


def redact_wav(
    source: Path, target: Path, ranges: Sequence[tuple[float, float]], beep: bool = True
) -> None:
    """Copy a 16-bit PCM WAV with each range replaced by a beep (or silence), block by block."""
    with wave.open(str(source), "rb") as reader:
        if reader.getsampwidth() != 2:
            raise ValueError("redaction expects 16-bit PCM audio")
        rate = reader.getframerate()
        channels = reader.getnchannels()
        total = reader.getnframes()
        sample_ranges = [
            (max(math.floor(b * rate), 0), min(math.ceil(e * rate), total)) for b, e in ranges
        ]
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".redacting-")
        os.close(fd)
        try:
            with wave.open(temp_name, "wb") as writer:
                writer.setnchannels(channels)
                writer.setsampwidth(2)
                writer.setframerate(rate)
                position = 0
                block = rate * 10
                while position < total:
                    frames = reader.readframes(block)
                    samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels).copy()
                    count = samples.shape[0]
                    if count == 0:
                        break
                    for begin, finish in sample_ranges:
                        low, high = max(begin, position), min(finish, position + count)
                        if low >= high:
                            continue
                        if beep:
                            index = np.arange(low, high)
                            tone = (
                                BEEP_LEVEL * 32767 * np.sin(2 * np.pi * BEEP_HERTZ * index / rate)
                            )
                            samples[low - position : high - position] = tone.astype("<i2")[:, None]
                        else:
                            samples[low - position : high - position] = 0
                    writer.writeframes(samples.tobytes())
                    position += count
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
