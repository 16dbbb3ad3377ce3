"""`storybank tag`: JSONL in, themes and evidence out, bad lines reported, subcommands run."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from storybank.tag.cli import tag_command
from storybank.tag.engine import Example
from storybank.tag.engine import Tagger
from storybank.tag.engine import retrain
from storybank.tag.engine import save_weights


def run(lines: list[str], *args: str) -> list[dict]:
    result = CliRunner().invoke(tag_command, ["-", *args], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_good_lines_get_every_theme_with_evidence_offsets() -> None:
    text = (
        "Whatever I say to my officer ends up in a report for the court. "
        "On Saturdays I help out on the soup run with my cousin."
    )
    [out] = run([json.dumps({"id": "s1", "text": text})])
    assert out["id"] == "s1"
    assert [t["theme"] for t in out["themes"]] == ["trust", "choice", "community"]
    by_theme = {t["theme"]: t for t in out["themes"]}
    assert by_theme["trust"]["assigned"] and by_theme["community"]["assigned"]
    for theme in out["themes"]:
        assert set(theme) == {"theme", "score", "assigned", "evidence"}
        assert theme["assigned"] == bool(theme["evidence"])
        for evidence in theme["evidence"]:
            assert set(evidence) == {"start", "end", "text"}
            assert text[evidence["start"] : evidence["end"]] == evidence["text"]


def test_a_bad_line_gives_an_error_line_and_the_batch_goes_on() -> None:
    lines = [
        json.dumps({"id": "a", "text": "I chose what the enabling fund paid for."}),
        "this is not json",
        json.dumps({"id": "b"}),
        json.dumps({"id": "c", "text": "The bus was late."}),
    ]
    out = run(lines)
    assert [o["id"] for o in out] == ["a", None, "b", "c"]
    assert "error" in out[1] and "error" in out[2] and "themes" not in out[2]
    assert len(out[3]["themes"]) == 3


def test_files_in_and_out_with_a_saved_weights_file(tagger: Tagger, tmp_path: Path) -> None:
    text = "We planted leeks at the allotment."
    decisions = [Example(text, "community", False)] * 20  # a retrain that changes the score
    model = tmp_path / "model.json"
    save_weights(retrain(tagger, decisions), model)
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "f", "text": text}) + "\n")
    scores = []
    for extra in ([], ["--model", str(model)]):
        target = tmp_path / "out.jsonl"
        result = CliRunner().invoke(tag_command, [str(source), "--out", str(target), *extra])
        assert result.exit_code == 0, result.output
        out = json.loads(target.read_text())
        assert out["id"] == "f"
        scores.append({t["theme"]: t["score"] for t in out["themes"]}["community"])
    assert scores[1] < scores[0]


def test_a_weights_file_that_cannot_be_used_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    model.write_text('{"format": 1}')
    result = CliRunner().invoke(tag_command, ["-", "--model", str(model)], input="")
    assert result.exit_code != 0
    assert "cannot be used" in result.output


def test_a_registered_subcommand_is_dispatched_and_otherwise_tagging_runs(tmp_path: Path) -> None:
    calls: list[str] = []

    @click.command("check")
    @click.option("--dry-run", is_flag=True)
    def train(dry_run: bool) -> None:
        calls.append(f"check dry_run={dry_run}")

    tag_command.add_command(train)
    try:
        result = CliRunner().invoke(tag_command, ["check", "--dry-run"])
        assert result.exit_code == 0, result.output
        assert calls == ["check dry_run=True"]
        assert result.stdout == ""
        out = run([json.dumps({"id": "x", "text": "My mates came round."})])
        assert out[0]["id"] == "x" and calls == ["check dry_run=True"]
        # a file that happens to be called like nothing registered is still tagged
        source = tmp_path / "stories.jsonl"
        source.write_text(json.dumps({"id": "y", "text": "hello"}) + "\n")
        result = CliRunner().invoke(tag_command, [str(source)])
        assert json.loads(result.stdout)["id"] == "y"
    finally:
        tag_command.commands.pop("check", None)  # the real `train` stays registered
