"""`storybank anonymise`: anonymise a JSONL batch of stories with no server and no database."""

from __future__ import annotations

from typing import IO
from typing import Any

import click

from storybank.anonymise.engine import AnonymiserError
from storybank.anonymise.engine import AnonymiserSettings
from storybank.anonymise.engine import apply_replacements
from storybank.anonymise.engine import assign_placeholders
from storybank.anonymise.engine import load_anonymiser
from storybank.core.jsonl import process_jsonl


def anonymise_record(anonymiser: Any, record: Any) -> dict[str, Any]:
    """Anonymise one input record; raise ValueError when it is malformed."""
    if not isinstance(record, dict):
        raise ValueError("Each line must be a JSON object with an id and a text.")
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError('The line has no "text" string.')
    known = record.get("known_names", [])
    if not isinstance(known, list) or not all(isinstance(name, str) for name in known):
        raise ValueError('"known_names", when given, must be a list of strings.')
    detections = anonymiser.detect(text, known)
    replacements = assign_placeholders(text, detections)
    spans = [(d.start, d.end, r) for d, r in zip(detections, replacements, strict=True)]
    return {
        "id": record.get("id"),
        "text": apply_replacements(text, spans),
        "redactions": [
            {
                "start": d.start,
                "end": d.end,
                "label": d.label,
                "text": d.text,
                "replacement": r,
            }
            for d, r in zip(detections, replacements, strict=True)
        ],
    }


def anonymise_lines(anonymiser: Any, source: IO[str], out: IO[str]) -> tuple[int, int]:
    """Anonymise each JSONL line of source into out; return (written, failed)."""
    return process_jsonl(
        source,
        out,
        lambda record: anonymise_record(anonymiser, record),
        lambda number, error: (
            f"Anonymisation failed on line {number} ({type(error).__name__}); "
            "nothing was released for it."
        ),
    )


@click.command("anonymise")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option(
    "--out",
    "out",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where to write the anonymised JSONL (default: standard output).",
)
def anonymise_command(source: IO[str], out: IO[str]) -> None:
    """Anonymise stories: JSONL lines of {"id", "text"} in, placeholders and redactions out."""
    try:
        anonymiser = load_anonymiser(AnonymiserSettings.from_env())
    except AnonymiserError as error:
        raise click.ClickException(error.message) from error
    written, failed = anonymise_lines(anonymiser, source, out)
    if failed:
        click.echo(f"{written} anonymised, {failed} line(s) with errors.", err=True)
