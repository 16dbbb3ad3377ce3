"""Who may reach research exports, as a matrix: viewer x every route of storybank/exports/views.py.

The expected answers are written out from the rules (DESIGN.md, "Who sees what"), not computed
from the policy, so that a change to the policy that breaks a rule fails here.

    researcher, admin    download every format of what a search finds; list their own exports.
    admin                alone sees which exports held a story (and who made them), also after
                         the story was erased.
    reporter, facilitator   403: they know research exists, but may not export.
    anonymous            sent to /login for everything.
    everyone logged in   404 for a format that does not exist.

A refused request writes no manifest and no audit event; an allowed download writes one of each.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from storybank.core.audit import AuditEvent
from storybank.exports.models import ExportManifest
from storybank.extensions import db
from tests.conftest import login
from tests.conftest import public_id
from tests.search.conftest import publish  # noqa: F401

REPORTER, FACILITATOR, RESEARCHER, ADMIN, ANONYMOUS = (
    "reporter",
    "facilitator",
    "researcher",
    "admin",
    "anonymous",
)
VIEWERS = [REPORTER, FACILITATOR, RESEARCHER, ADMIN, ANONYMOUS]

OK, FORBIDDEN, HIDDEN, TO_LOGIN = "200", "403", "404", "302 -> /login"

ROUTES = {
    "stories_csv": "/research/export/stories_csv?q=allotment",
    "excerpts_csv": "/research/export/excerpts_csv",
    "matrix_csv": "/research/export/matrix_csv?theme=community",
    "json": "/research/export/json",
    "qdpx": "/research/export/qdpx",
    "unknown_format": "/research/export/xlsx",
    "index": "/research/exports",
    "holding_form": "/research/exports/holding",
    "holding": "/research/exports/holding?story={story}",
}

# Columns, in order: reporter, facilitator, researcher, admin, anonymous
EXPECTED: dict[str, tuple[str, str, str, str, str]] = {
    "stories_csv": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "excerpts_csv": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "matrix_csv": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "json": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "qdpx": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "unknown_format": (HIDDEN, HIDDEN, HIDDEN, HIDDEN, TO_LOGIN),
    "index": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "holding_form": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "holding": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, TO_LOGIN),
}
assert set(EXPECTED) == set(ROUTES)
DOWNLOADS = {"stories_csv", "excerpts_csv", "matrix_csv", "json", "qdpx"}

GARDEN = "The allotment helped me more than anything. Growing beans gave my week a shape."


def _answer(response) -> str:
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} -> {urlsplit(response.headers['Location']).path}"
    return str(response.status_code)


def _counts() -> tuple[int, int]:
    manifests = db.session.scalar(db.select(db.func.count()).select_from(ExportManifest))
    events = db.session.scalar(
        db.select(db.func.count()).select_from(AuditEvent).where(AuditEvent.target_type == "export")
    )
    return manifests, events


@pytest.fixture
def world(factories, publish):  # noqa: F811 - the fixture imported above
    story = publish(GARDEN, ("community",))
    people = {
        REPORTER: publish.reporter,
        FACILITATOR: factories.user("facilitator"),
        RESEARCHER: factories.user("researcher"),
        ADMIN: publish.admin,
    }
    return story.id, people


CELLS = [
    pytest.param(route, viewer, column, id=f"{route}-{viewer}")
    for route in ROUTES
    for column, viewer in enumerate(VIEWERS)
]


@pytest.mark.parametrize(("route", "viewer", "column"), CELLS)
def test_matrix(world, app, route, viewer, column):
    story_id, people = world
    client = app.test_client()
    if viewer != ANONYMOUS:
        assert login(client, people[viewer].email).status_code == 302
    before = _counts()
    with client.get(ROUTES[route].format(story=public_id(story_id)), buffered=True) as response:
        answer = _answer(response)
        body = response.data
    expected = EXPECTED[route][column]
    assert answer == expected, f"{route} as {viewer}: {answer}, expected {expected}"
    after = _counts()
    if route in DOWNLOADS and expected == OK:
        assert after == (before[0] + 1, before[1] + 1)
        assert body and b"Robin" not in body and b"A bike for work" not in body
    else:
        assert after == before
