"""`storybank anonymise`: anonymise a JSONL batch of stories with no server and no database."""

from __future__ import annotations

import json
from typing import IO
from typing import Any

import click

from storybank.anonymise.engine import AnonymiserError
from storybank.anonymise.engine import AnonymiserSettings
from storybank.anonymise.engine import apply_replacements
from storybank.anonymise.engine import assign_placeholders
from storybank.anonymise.engine import load_anonymiser


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


def _record_id(line: str) -> Any:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record.get("id") if isinstance(record, dict) else None


def anonymise_lines(anonymiser: Any, source: IO[str], out: IO[str]) -> tuple[int, int]:
    """Anonymise each JSONL line of source into out; return (written, failed)."""
    written = failed = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            result = anonymise_record(anonymiser, json.loads(line))
            written += 1
        except json.JSONDecodeError as error:
            result = {"id": None, "error": f"Line {number} is not valid JSON ({error.msg})."}
            failed += 1
        except ValueError as error:
            result = {"id": _record_id(line), "error": str(error)}
            failed += 1
        except Exception as error:  # fail closed: an engine fault releases no text
            result = {
                "id": _record_id(line),
                "error": f"Anonymisation failed on line {number} ({type(error).__name__}); "
                "nothing was released for it.",
            }
            failed += 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return written, failed


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
