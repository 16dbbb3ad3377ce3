"""`storybank transcribe AUDIO [--model M] [--json]`: print a recording's transcript."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

EXIT_BAD_INPUT = 2


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.command("transcribe")
@click.argument("audio", type=click.Path(path_type=Path))
@click.option(
    "--model",
    default="",
    metavar="M",
    help="A faster-whisper model directory (or a name, on machines that may download). "
    "Default: STORYBANK_WHISPER_MODEL, else the bundled tiny.en.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON with segments and word timings.")
def transcribe_command(audio: Path, model: str, as_json: bool) -> None:
    """Transcribe AUDIO (m4a, mp3, ogg, webm, flac, wav, ...) on this machine and print it.

    Needs no server and no database. Settings come from STORYBANK_WHISPER_* variables.
    """
    from storybank.transcribe.engine import AudioError
    from storybank.transcribe.engine import TranscriptionError
    from storybank.transcribe.engine import WhisperSettings
    from storybank.transcribe.engine import load_engine
    from storybank.transcribe.engine import with_model

    if not audio.is_file():
        _fail(f"there is no audio file at {audio}.", EXIT_BAD_INPUT)
    try:
        with open(audio, "rb"):
            pass
    except OSError as error:
        _fail(f"{audio} cannot be read: {error.strerror or error}.", EXIT_BAD_INPUT)

    show_progress = sys.stderr.isatty() and not as_json

    def report(fraction: float) -> None:
        click.echo(f"\rTranscribing: {fraction:4.0%}", err=True, nl=fraction >= 1.0)

    try:
        engine = load_engine(with_model(WhisperSettings.from_env(), model))
        transcript = engine.transcribe(audio, on_progress=report if show_progress else None)
    except AudioError as error:
        _fail(error.message, EXIT_BAD_INPUT)
    except TranscriptionError as error:
        _fail(error.message, 1)

    if as_json:
        click.echo(json.dumps(transcript.to_json(), ensure_ascii=False))
    else:
        for segment in transcript.segments:
            click.echo(segment.text)
