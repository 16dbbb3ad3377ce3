"""Rebuild the bundled default weights from labelled development stories.

Run: python -m storybank.tag.train_default [STORIES.jsonl ...] [--out PATH]

By default it reads ../shared/samples/stories.jsonl and ../shared/devset/stories.jsonl. The
repository keeps only the weights and their provenance (file names, SHA-256, counts), never the
stories.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from storybank.tag import learning
from storybank.tag.engine import Example
from storybank.tag.engine import default_codebook
from storybank.tag.engine import save_weights
from storybank.tag.engine import train_models

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DEFAULT_SOURCES = (SHARED / "samples" / "stories.jsonl", SHARED / "devset" / "stories.jsonl")
DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "default_weights.json"


def read_stories(path: Path) -> list[dict[str, Any]]:
    """Read labelled stories: {"id", "kind", "text", "themes"} per line."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def examples_from(stories: list[dict[str, Any]], keys: tuple[str, ...]) -> list[Example]:
    """Every story is an example for every theme: present or not."""
    return [Example(s["text"], key, key in s["themes"]) for s in stories for key in keys]


def describe_source(path: Path, stories: list[dict[str, Any]]) -> dict[str, Any]:
    """Provenance of one file: its name, SHA-256 and counts (no text)."""
    themes = Counter(theme for story in stories for theme in story["themes"])
    kinds = Counter(story.get("kind", "unknown") for story in stories)
    return {
        "file": f"{path.parent.name}/{path.name}",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "stories": len(stories),
        "kinds": dict(sorted(kinds.items())),
        "themes": dict(sorted(themes.items())),
    }


def main(argv: list[str] | None = None) -> None:
    """Train on the given files and write the weights with their provenance."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path, default=list(DEFAULT_SOURCES))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    codebook = default_codebook()
    stories, sources = [], []
    for path in args.sources:
        records = read_stories(path)
        stories += records
        sources.append(describe_source(path, records))
    models = train_models(codebook, examples_from(stories, codebook.keys()))
    save_weights(
        models,
        args.out,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sources=sources,
        stories=len(stories),
        codebook_version=codebook.version,
        settings={
            "pooling": asdict(learning.Pooling()),
            "weight_prior": learning.WEIGHT_PRIOR,
        },
    )
    print(f"Trained {', '.join(models)} on {len(stories)} stories; wrote {args.out}.")


if __name__ == "__main__":
    main()
