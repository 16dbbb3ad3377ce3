"""Fixtures for the anonymiser tests: the real pipeline, loaded once per session."""

from __future__ import annotations

import pytest

from storybank.anonymise.engine import Anonymiser
from storybank.anonymise.engine import AnonymiserSettings
from storybank.anonymise.engine import load_anonymiser


@pytest.fixture(scope="session")
def anonymiser() -> Anonymiser:
    return load_anonymiser(AnonymiserSettings())
