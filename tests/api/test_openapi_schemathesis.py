"""The OpenAPI document against the running app, with schemathesis.

Schemathesis reads /api/v1/openapi.json, generates requests for every operation from its
parameter schemas (valid ones, and for the negative phase invalid ones), sends them with a
researcher's token, and checks each answer: no server error, a documented status code, the
documented content type and headers, and a body that matches the response schema. The
examples are few and derandomized, so the run is quick and the same every time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings

from storybank.api.openapi import openapi_document
from storybank.api.tokens import create_token
from storybank.extensions import db
from storybank.stories.services import approve_story
from storybank.tag.services import decide_theme
from tests.api.conftest import bearer
from tests.factories import Factories

STORIES = [
    (
        "The allotment helped me more than anything. Growing beans gave my week a shape.",
        "community",
    ),
    ("My supervisor trusted me with the kettle rota, which sounds small but mattered.", "trust"),
    ("Two buses to every appointment, and the buses were late again and again.", "choice"),
]


@pytest.fixture
def api_app(make_app) -> Iterator[tuple[object, str]]:
    """An app with three published stories and a researcher's token; no context left pushed,
    so that each request schemathesis makes runs in its own, as in a real server."""
    app = make_app()
    with app.app_context():
        factories = Factories(app)
        admin, reporter = factories.user("admin"), factories.user("reporter")
        for text, theme in STORIES:
            story = factories.story(reporter, status="in_review", text=text)
            for key in ("trust", "choice", "community"):
                decide_theme(admin, story.id, key, key == theme)
            approve_story(admin, story.id)
        secret = create_token(factories.user("researcher"), "schemathesis").secret
        db.session.remove()
    yield app, secret


# The document is built from the same definitions the API checks requests against, with no
# database, so it is loaded at collection; the test below proves the app serves exactly it.
# (schemathesis.pytest.from_fixture, the lazy loader, does not run on pytest 9.)
schema = schemathesis.openapi.from_dict(openapi_document())


class _AppUnderTest:
    """A WSGI app that passes each request to the app of the running test."""

    target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


APP_UNDER_TEST = _AppUnderTest()
schema.app = APP_UNDER_TEST  # every request, the checks' own probes too, goes in-process


def test_the_app_serves_the_document_schemathesis_reads(api_app):
    app, _secret = api_app
    served = app.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.json == openapi_document()
    assert served.json["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_matches_its_openapi_document(case, api_app):
    app, secret = api_app
    APP_UNDER_TEST.target = app
    # Every built-in check but one: a start date after the end date, or more than 12 words,
    # fit each parameter's schema and are still a documented 400 (OpenAPI cannot say how
    # parameters relate), so "schema-valid requests are accepted" cannot hold for them.
    case.call_and_validate(
        headers=bearer(secret), excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )
