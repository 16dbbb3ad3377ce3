"""`storybank anonymise`: JSONL in, anonymised JSONL out, bad lines reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from storybank.anonymise.cli import anonymise_command


def run(lines: list[str], *args: str) -> list[dict]:
    result = CliRunner().invoke(anonymise_command, ["-", *args], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_good_lines_are_anonymised_with_offsets_into_the_input() -> None:
    text = "Dave rang me on 07700 900123 from Quarry Lane. Dave was fine."
    [out] = run([json.dumps({"id": "s1", "text": text})])
    assert out["id"] == "s1"
    assert "07700" not in out["text"] and "Dave" not in out["text"]
    assert "[PHONE]" in out["text"] and "[PERSON 1]" in out["text"]
    for redaction in out["redactions"]:
        assert text[redaction["start"] : redaction["end"]] == redaction["text"]
        assert redaction["label"] in {"PERSON", "LOCATION", "ORG", "DATE", "PHONE", "EMAIL", "ID"}
    assert [r["replacement"] for r in out["redactions"] if r["text"] == "Dave"] == [
        "[PERSON 1]"
    ] * 2


def test_known_names_are_used() -> None:
    line = json.dumps(
        {"id": "k", "text": "so anwen said it was ok", "known_names": ["Anwen Price"]}
    )
    [out] = run([line])
    assert out["text"] == "so [PERSON 1] said it was ok"


def test_a_bad_line_gives_an_error_line_and_the_batch_goes_on() -> None:
    lines = [
        json.dumps({"id": "a", "text": "ring 07700 900123"}),
        "this is not json",
        json.dumps({"id": "b"}),
        json.dumps({"id": "c", "text": "email me at jo@example.com"}),
    ]
    out = run(lines)
    assert [o["id"] for o in out] == ["a", None, "b", "c"]
    assert "error" in out[1] and "error" in out[2]
    assert "text" not in out[2]
    assert out[3]["text"] == "email me at [EMAIL]"


def test_files_in_and_out(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    target = tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "f", "text": "My CRN is X123456."}) + "\n")
    result = CliRunner().invoke(anonymise_command, [str(source), "--out", str(target)])
    assert result.exit_code == 0, result.output
    [out] = [json.loads(line) for line in target.read_text().splitlines()]
    assert out["text"] == "My CRN is [ID]."
