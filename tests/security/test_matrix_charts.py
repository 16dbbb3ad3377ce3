"""Who may see research charts, as a matrix: viewer x every charts route.

The expected answers are written out here from the rule (storybank/search/policy.py: research
search, charts and exports are for researchers and admins), not computed by calling the policy.

    researcher, admin    every chart page and download; a chart that does not exist is a 404.
    reporter, facilitator  403 for everything (a role-level page, as the review queue is),
                         before the chart's name is even looked at.
    anonymous            sent to /login for everything.

A refused answer must carry none of the counts, and no answer may carry a story's text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from storybank.core.audit import AuditEvent
from storybank.extensions import db
from tests.conftest import login
from tests.search.conftest import publish  # noqa: F401

REPORTER, FACILITATOR, RESEARCHER, ADMIN, ANONYMOUS = (
    "reporter",
    "facilitator",
    "researcher",
    "admin",
    "anonymous",
)
VIEWERS = [REPORTER, FACILITATOR, RESEARCHER, ADMIN, ANONYMOUS]

OK = "200"
HIDDEN = "404"
FORBIDDEN = "403"
TO_LOGIN = "302 -> /login"

TEXT = "The allotment helped me more than anything. Growing beans gave my week a shape."

ROUTES: dict[str, str] = {
    "index": "/research/charts",
    "index_filtered": "/research/charts?q=allotment&theme=trust&period=month",
    "over_time": "/research/charts/over_time.svg",
    "by_voice": "/research/charts/by_voice.svg?q=beans",
    "by_site": "/research/charts/by_site.svg",
    "together": "/research/charts/together.svg?theme=trust",
    "unknown": "/research/charts/secrets.svg",
}

# Columns: reporter, facilitator, researcher, admin, anonymous
EXPECTED: dict[str, tuple[str, str, str, str, str]] = {
    "index": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "index_filtered": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "over_time": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "by_voice": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "by_site": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "together": (FORBIDDEN, FORBIDDEN, OK, OK, TO_LOGIN),
    "unknown": (FORBIDDEN, FORBIDDEN, HIDDEN, HIDDEN, TO_LOGIN),
}
assert set(EXPECTED) == set(ROUTES)


def _answer(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        return f"{response.status_code} -> {urlsplit(response.headers['Location']).path}"
    return str(response.status_code)


@pytest.fixture
def world(app, publish, factories):  # noqa: F811 - the fixture imported above
    """Six approved stories with research consent at a site with a counted name."""
    app.config["SMALL_COUNT_THRESHOLD"] = 5
    site = factories.site("Riverside hub")
    for n in range(6):
        publish(f"{TEXT} Week {n}.", themes=("trust",), site=site)
    people = {role: factories.user(role) for role in (REPORTER, FACILITATOR, RESEARCHER)}
    people[ADMIN] = publish.admin
    return people


@pytest.mark.parametrize("viewer", VIEWERS)
def test_charts_matrix(app, world, viewer):
    client = app.test_client()
    if viewer != ANONYMOUS:
        assert login(client, world[viewer].email).status_code == 302
    audit_before = db.session.scalar(db.select(db.func.max(AuditEvent.id))) or 0
    seen = {}
    for name, path in ROUTES.items():
        response = client.get(path)
        seen[name] = _answer(response)
        body = response.get_data(as_text=True)
        assert "allotment helped" not in body  # never a story's text
        if seen[name] != OK:
            assert "Riverside hub" not in body and "Trust" not in body
        elif name.startswith("index"):
            assert response.mimetype == "text/html"
        else:
            assert response.mimetype == "image/svg+xml"
            assert response.headers["Content-Disposition"].startswith("attachment;")
    expected = {name: row[VIEWERS.index(viewer)] for name, row in EXPECTED.items()}
    assert seen == expected
    db.session.expire_all()
    assert (db.session.scalar(db.select(db.func.max(AuditEvent.id))) or 0) == audit_before
