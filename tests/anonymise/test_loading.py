"""Loading: the bundled spaCy pipeline loads once per process, and settings come from the env."""

from __future__ import annotations

import threading

import pytest

from storybank.anonymise import engine
from storybank.anonymise.engine import Anonymiser
from storybank.anonymise.engine import AnonymiserError
from storybank.anonymise.engine import AnonymiserSettings
from storybank.anonymise.engine import load_anonymiser


def test_settings_come_from_the_environment() -> None:
    assert AnonymiserSettings.from_env({}) == AnonymiserSettings("")
    settings = AnonymiserSettings.from_env({"STORYBANK_SPACY_MODEL": " /models/en "})
    assert settings.spacy_model == "/models/en"


def test_the_bundled_pipeline_loads_once(anonymiser: Anonymiser) -> None:
    loaded = engine.pipelines_loaded()
    results: list[Anonymiser] = []
    threads = [
        threading.Thread(target=lambda: results.append(load_anonymiser(AnonymiserSettings())))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result is anonymiser for result in results)
    assert engine.pipelines_loaded() == loaded
    assert anonymiser.dictionary  # the lemmatizer's word list came with the model
    assert "go" in anonymiser.verbs


def test_detect_is_safe_from_several_threads(anonymiser: Anonymiser) -> None:
    text = "Dave rang me from Quarry Lane on 07700 900123."
    expected = anonymiser.detect(text)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(anonymiser.detect(text))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_an_unknown_pipeline_gives_an_actionable_error() -> None:
    with pytest.raises(AnonymiserError, match="STORYBANK_SPACY_MODEL"):
        load_anonymiser(AnonymiserSettings("/nonexistent/spacy-model"))


def test_empty_text_has_no_detections(anonymiser: Anonymiser) -> None:
    assert anonymiser.detect("") == []
    assert anonymiser.detect("   \n") == []
