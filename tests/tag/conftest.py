"""Fixtures for the tagger tests: the real embedder and the default tagger, built once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storybank.tag.embedding import Embedder
from storybank.tag.embedding import get_embedder
from storybank.tag.engine import Tagger
from storybank.tag.engine import default_codebook
from storybank.tag.engine import default_weights
from storybank.tag.engine import weights_from_dict

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real MiniLM embedder (pinned files checked)."""
    return get_embedder()


@pytest.fixture(scope="session")
def tagger(embedder: Embedder) -> Tagger:
    """The default tagger: the bundled weights on the default codebook."""
    return Tagger(default_codebook(), weights_from_dict(default_weights()), embedder)


@pytest.fixture(scope="session")
def shared_texts() -> str:
    """Every sample and development story, lower-cased and joined (to check nothing is copied)."""
    paths = [SHARED / "samples" / "stories.jsonl", SHARED / "devset" / "stories.jsonl"]
    if not all(path.exists() for path in paths):
        pytest.skip("the shared stories are not here")
    texts = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            texts += [json.loads(line)["text"].lower() for line in handle if line.strip()]
    return "\n".join(texts)
