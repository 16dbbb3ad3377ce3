"""Helpers for API tests: tokens made through the service, and requests that carry them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from storybank.api.tokens import create_token
from tests.search.conftest import publish  # noqa: F401 - the fixture, for these tests too


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def researcher(factories):
    return factories.user("researcher")


@pytest.fixture
def secret(researcher) -> str:
    """A live token's secret for the researcher."""
    return create_token(researcher, "tests").secret


@pytest.fixture
def api(client: FlaskClient, secret: str):
    """GET an API path with the researcher's token; return the response."""

    def get(path: str, **kwargs: object):
        return client.get(f"/api/v1{path}", headers=bearer(secret), **kwargs)

    return get
