"""Export tests approve stories through the real services, as the search tests do."""

from __future__ import annotations

import pytest

from tests.search.conftest import publish  # noqa: F401


@pytest.fixture
def researcher(factories):
    return factories.user("researcher")
