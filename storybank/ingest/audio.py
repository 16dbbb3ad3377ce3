"""Judge an uploaded recording by its content, and make the canonical WAV the model reads."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
import wave
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.stream import Disposition

log = logging.getLogger(__name__)

# FFmpeg demuxer names, exactly as FFmpeg reports them. The QuickTime/MP4 demuxer reads m4a
# (AAC) and the mp4 files phones save voice notes and videos as; ogg reads Opus and Vorbis;
# matroska reads WebM. Nothing else: every other demuxer is attack surface a reporter has no
# use for (HLS and concat, for two, open the files and URLs a list names).
ALLOWED_DEMUXERS: frozenset[str] = frozenset(
    {
        "mov,mp4,m4a,3gp,3g2,mj2",
        "mp3",
        "ogg",
        "matroska,webm",
        "wav",
        "flac",
    }
)

CANONICAL_RATE = 16_000
CANONICAL_SAMPLE_BYTES = 2

# Damage. A packet that fails to decode is skipped and counted. A file is refused if a failure
# comes before MIN_CLEAN_SECONDS of sound has decoded (damaged at the start, or not really
# audio), if more than MAX_BAD_SHARE of its packets fail (damaged throughout), or if less than
# MIN_CLEAN_SECONDS decodes in all. Otherwise what decoded is kept: a recording cut short (an
# interrupted upload or copy) is logged and returned normally, shorter than its header said.
MIN_CLEAN_SECONDS = 1.0
MAX_BAD_SHARE = 0.1

# Headers estimate some lengths (an MP3's from its bit rate), so make_canonical_wav's backstop
# on length allows a little over the limit rather than fail a long conversion at the very end.
LENGTH_SLACK_SECONDS = 60.0

SNIFF_BYTES = 4096
READ_BUFFER_BYTES = 64 * 1024

_ACCEPTED = "m4a, mp3, ogg, webm, wav or flac"
_UPLOAD_AUDIO = f"Upload the audio file from your phone: {_ACCEPTED}."
_CHECK_AND_RETRY = (
    "Check that it plays on your phone or computer, then upload it again, or export it again "
    f"as {_ACCEPTED}."
)
_NOT_A_RECORDING = "This file is not a recording Storybank can read"

# The first bytes of familiar files that are not recordings, for a clearer refusal.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"#EXTM3U", "it is a playlist that points to other files, not the recording itself"),
    (b"ffconcat", "it is a list of other files, not the recording itself"),
    (b"%PDF", "it looks like a PDF document"),
    (b"\x89PNG", "it looks like a picture"),
    (b"\xff\xd8\xff", "it looks like a picture"),
    (b"GIF8", "it looks like a picture"),
    (b"PK\x03\x04", "it looks like a zip archive or an office document"),
)


class AudioRejected(Exception):
    """The file cannot be a story's recording; the message says what was wrong and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AudioProbe:
    """What a recording is, read from its content."""

    format_name: str
    codec: str
    duration: float
    sample_rate: int
    channels: int
    has_video: bool


def probe_audio(path: Path, max_seconds: float) -> AudioProbe:
    """Check that the file is a recording we accept, starts with sound we can decode, and is
    no longer than max_seconds."""
    with _open_input(path) as (container, _handle):
        stream = _audio_stream(container)
        duration = _header_duration(container, stream)
        # A header without a duration (WebM from a browser's MediaRecorder) is measured from
        # packet timestamps, without decoding: about a second per hour of Opus.
        measured = _read_opening(
            container, stream, measure=duration is None, stop_after=max_seconds
        )
        duration = measured if duration is None else duration
        _check_length(duration, max_seconds)
        return AudioProbe(
            format_name=container.format.name,
            codec=stream.codec_context.codec.canonical_name,
            duration=duration,
            sample_rate=stream.codec_context.sample_rate,
            channels=stream.codec_context.channels,
            has_video=any(
                not video.disposition & Disposition.attached_pic
                for video in container.streams.video
            ),
        )


def make_canonical_wav(
    source: Path,
    target: Path,
    on_progress: Callable[[float], None] | None = None,
    *,
    max_seconds: float | None = None,
) -> float:
    """Write the recording's sound as 16-bit PCM mono 16 kHz WAV, frame by frame, and return
    its length in seconds. Give max_seconds to stop a file whose header understated its length.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".canonical-", suffix=".wav")
    try:
        with os.fdopen(fd, "wb") as output:
            with _open_input(source) as (container, handle):
                stream = _audio_stream(container)
                progress = _Progress(on_progress, _header_duration(container, stream), handle)
                with contextlib.closing(wave.open(output, "wb")) as wav:
                    wav.setnchannels(1)
                    wav.setsampwidth(CANONICAL_SAMPLE_BYTES)
                    wav.setframerate(CANONICAL_RATE)
                    seconds = _decode_into(container, stream, wav, progress, max_seconds)
            output.flush()
            os.fsync(output.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    if on_progress is not None:
        on_progress(1.0)
    return seconds


@contextlib.contextmanager
def _open_input(path: Path) -> Iterator[tuple[InputContainer, BinaryIO]]:
    """Open a file for FFmpeg to judge by its content alone, refusing anything not allowed."""
    # Opened by descriptor, the handle's name is a number, and FFmpeg reads through it: FFmpeg
    # sees no path, URL or extension, so it has nothing to guess a format from and no folder to
    # find other files in. (Its HLS demuxer will not even take a playlist without an .m3u8 name.)
    fd = os.open(path, os.O_RDONLY)
    with open(fd, "rb") as handle:
        _refuse_by_first_bytes(handle.read(SNIFF_BYTES))
        handle.seek(0)
        try:
            container = av.open(
                handle,
                container_options={
                    # Checked straight after probing, before the demuxer reads its header.
                    "format_whitelist": ",".join(sorted(ALLOWED_DEMUXERS)),
                    # Empty: reading our handle needs no protocol, so every attempt to open a
                    # second file or URL fails, through io_open (HLS segments, MP4 data
                    # references) or a nested demuxer (concat copies the whitelists). "file"
                    # would not do: HLS and concat follow local paths through it.
                    "protocol_whitelist": "",
                },
                buffer_size=READ_BUFFER_BYTES,
                metadata_errors="replace",
            )
        except av.error.FFmpegError as error:
            raise AudioRejected(f"{_NOT_A_RECORDING}, or it is damaged. {_UPLOAD_AUDIO}") from error
        with container:
            if container.format.name not in ALLOWED_DEMUXERS:
                raise AudioRejected(f"{_NOT_A_RECORDING}. {_UPLOAD_AUDIO}")
            yield container, handle


def _refuse_by_first_bytes(head: bytes) -> None:
    """Refuse an empty file, and familiar files that are not recordings, before FFmpeg parses
    them."""
    if not head:
        raise AudioRejected(
            "This file is empty (0 bytes), so there is no recording in it. Upload the recording "
            "again; if it is empty on your phone too, it did not save."
        )
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for signature, looks_like in _SIGNATURES:
        if start.startswith(signature):
            raise AudioRejected(f"{_NOT_A_RECORDING} ({looks_like}). {_UPLOAD_AUDIO}")
    if _looks_like_text(head):
        raise AudioRejected(f"{_NOT_A_RECORDING} (it looks like a text file). {_UPLOAD_AUDIO}")


def _looks_like_text(head: bytes) -> bool:
    """Return whether the bytes read as printable UTF-8 text without control characters."""
    if b"\x00" in head:
        return False
    text = head.decode("utf-8", errors="ignore")
    # Allow for a character cut off at the end of the sample.
    if len(text.encode("utf-8")) < len(head) - 3:
        return False
    return all(char.isprintable() or char in "\t\r\n\f" for char in text)


def _audio_stream(container: InputContainer) -> AudioStream:
    """Return the stream to transcribe, or refuse a file without one we can decode."""
    stream = container.streams.best("audio")
    if stream is None:
        if container.streams.video:
            raise AudioRejected(
                "This video has no sound track, so there is nothing to transcribe. Upload a "
                f"recording with sound: {_ACCEPTED}."
            )
        raise AudioRejected(f"This file has no sound in it. {_UPLOAD_AUDIO}")
    if not isinstance(stream, AudioStream) or stream.codec_context is None:
        raise AudioRejected(
            "Storybank cannot decode the kind of sound in this file. Export the recording again "
            f"as {_ACCEPTED}, then upload it."
        )
    return stream


def _header_duration(container: InputContainer, stream: AudioStream) -> float | None:
    """Return the length in seconds that the file's header gives, or None if it gives none."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    return None


def _read_opening(
    container: InputContainer, stream: AudioStream, *, measure: bool, stop_after: float
) -> float | None:
    """Decode the first MIN_CLEAN_SECONDS, refusing damage there. If measure, also return the
    length from packet timestamps, reading no further than stop_after."""
    decoded = 0.0
    first: float | None = None
    last = 0.0
    try:
        for packet in container.demux(stream):
            if decoded < MIN_CLEAN_SECONDS:
                decoded += sum(frame.samples / frame.sample_rate for frame in packet.decode())
            elif not measure:
                break
            if measure and packet.pts is not None and packet.time_base is not None:
                begins = float(packet.pts * packet.time_base)
                first = begins if first is None else min(first, begins)
                last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
                if last - first > stop_after:
                    break
    except av.error.FFmpegError:
        # Damage after the opening is make_canonical_wav's to judge; here it ends the count.
        _refuse_early_damage(decoded)
    _refuse_too_little(decoded)
    if not measure:
        return None
    return last - first if first is not None else 0.0


def _check_length(seconds: float, max_seconds: float) -> None:
    if seconds > max_seconds:
        raise AudioRejected(
            f"This recording is {_describe_length(seconds, round_up=True)} long, which is over "
            f"the limit of {_describe_length(max_seconds, round_up=False)}. Split it into shorter "
            "parts and upload each one as its own story."
        )


def _describe_length(seconds: float, *, round_up: bool) -> str:
    """Say a length in hours and minutes, or in seconds when under a minute."""
    whole = math.ceil if round_up else math.floor
    if seconds < 60:
        return _count(whole(seconds), "second")
    hours, minutes = divmod(whole(seconds / 60), 60)
    parts = [_count(hours, "hour")] if hours else []
    if minutes or not hours:
        parts.append(_count(minutes, "minute"))
    return " ".join(parts)


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def _refuse_early_damage(seconds_decoded: float) -> None:
    if seconds_decoded < MIN_CLEAN_SECONDS:
        raise AudioRejected(
            f"This recording is damaged at the start, so Storybank cannot read it. "
            f"{_CHECK_AND_RETRY}"
        )


def _refuse_too_little(seconds_decoded: float) -> None:
    if seconds_decoded < MIN_CLEAN_SECONDS:
        raise AudioRejected(
            "Storybank found less than a second of sound in this recording, so there is nothing "
            f"to transcribe. {_CHECK_AND_RETRY}"
        )


class _Progress:
    """Report the fraction done: of the header's duration, else of the file's bytes."""

    def __init__(
        self,
        callback: Callable[[float], None] | None,
        duration: float | None,
        handle: BinaryIO,
    ) -> None:
        self.callback = callback
        self.duration = duration
        self.handle = handle
        self.size = os.fstat(handle.fileno()).st_size
        self.reported = 0.0

    def update(self, seconds_done: float) -> None:
        if self.callback is None:
            return
        done = seconds_done / self.duration if self.duration else self.handle.tell() / self.size
        # Whole percents only: each report is a database write.
        if done - self.reported >= 0.01:
            self.reported = min(done, 0.99)
            self.callback(self.reported)


class _CanonicalWriter:
    """Resample frames to 16-bit mono 16 kHz and append them to the WAV."""

    def __init__(self, wav: wave.Wave_write) -> None:
        self.wav = wav
        self.samples = 0
        self.resampler: AudioResampler | None = None
        self.shape: tuple[str, str, int] | None = None

    def write(self, frame: AudioFrame) -> None:
        shape = (frame.format.name, frame.layout.name, frame.sample_rate)
        if self.resampler is None or shape != self.shape:
            # A stream may change rate or layout part way (recordings joined end to end), and
            # a resampler takes one input shape: drain the old one and start another.
            self.flush()
            self.resampler = AudioResampler(format="s16", layout="mono", rate=CANONICAL_RATE)
            self.shape = shape
        self._append(self.resampler.resample(frame))

    def flush(self) -> None:
        if self.resampler is not None:
            self._append(self.resampler.resample(None))

    def _append(self, frames: list[AudioFrame]) -> None:
        for frame in frames:
            self.wav.writeframesraw(frame.to_ndarray().astype("<i2", copy=False).tobytes())
            self.samples += frame.samples

    @property
    def seconds(self) -> float:
        return self.samples / CANONICAL_RATE


def _decode_into(
    container: InputContainer,
    stream: AudioStream,
    wav: wave.Wave_write,
    progress: _Progress,
    max_seconds: float | None,
) -> float:
    """Decode the stream into the WAV under the damage rule above; return the seconds written."""
    writer = _CanonicalWriter(wav)
    good = bad = 0
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except av.error.FFmpegError as error:
            # The container stops making sense: keep what came before, if enough did.
            _refuse_early_damage(writer.seconds)
            log.warning("audio stops being readable after %.1f s: %s", writer.seconds, error)
            break
        try:
            frames = packet.decode()
        except av.error.FFmpegError as error:
            _refuse_early_damage(writer.seconds)
            bad += 1
            log.debug("skipped an undecodable packet at %.1f s: %s", writer.seconds, error)
            continue
        good += 1
        for frame in frames:
            writer.write(frame)
        if max_seconds is not None and writer.seconds > max_seconds + LENGTH_SLACK_SECONDS:
            _check_length(writer.seconds, max_seconds)
        progress.update(writer.seconds)
    writer.flush()
    seconds = writer.seconds
    if bad > MAX_BAD_SHARE * (good + bad):
        raise AudioRejected(
            f"Too much of this recording is damaged for Storybank to read it. {_CHECK_AND_RETRY}"
        )
    _refuse_too_little(seconds)
    expected = progress.duration
    if bad or (expected and seconds < expected - 1.0):
        log.warning(
            "recording decoded with damage: %.1f s of %s expected, %d of %d packets skipped",
            seconds,
            f"{expected:.1f} s" if expected else "an unknown length",
            bad,
            good + bad,
        )
    return seconds
