"""Who may use the research API and the API token pages, as a matrix: viewer x route.

Written out from DESIGN.md ("researcher: search, chart and export approved, anonymised stories
whose consent allows research; API tokens") and the API's rules, not computed from the policy:

    researcher, admin    create, list and revoke their own tokens; read every API route with
                         their own token. Another person's token is not theirs to revoke (404).
    reporter, facilitator  no token pages (403), and cannot create a token. A token they hold
                         (made while they were a researcher) is refused with 403 on every
                         API route.
    anonymous            sent to /login for the token pages; 401 on the API.
    any logged-in browser without a token: 401 on the API, whatever the role (no cookie counts).

The OpenAPI document needs no token. Each viewer meets a world built afresh.
"""

from __future__ import annotations

import pytest

from storybank.accounts.services import change_role
from storybank.api.models import ApiToken
from storybank.api.tokens import create_token
from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.stories.services import approve_story
from storybank.tag.services import decide_theme
from tests.api.conftest import bearer
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id

TEXT = "The allotment helped me more than anything. Growing beans gave my week a shape."
ROLES = ["reporter", "facilitator", "researcher", "admin", "anonymous"]
MAY_USE = {"researcher", "admin"}
API_ROUTES = ["/stories", "/stories?q=allotment", "/stories/{story}", "/codebook", "/themes/counts"]
STORY_ROUTES = set(API_ROUTES[:3])  # the routes that answer with the story's (anonymised) words


@pytest.fixture
def world(factories):
    """A published story, an admin, and for each role a user holding a token of their own."""
    admin = factories.user("admin")
    reporter = factories.user("reporter")
    story = factories.story(reporter, status="in_review", text=TEXT)
    for key in ("trust", "choice", "community"):
        decide_theme(admin, story.id, key, key == "community")
    approve_story(admin, story.id)
    users, secrets = {}, {}
    for role in MAY_USE | {"reporter", "facilitator"}:
        user = admin if role == "admin" else factories.user("researcher")
        secrets[role] = create_token(user, f"{role}'s token").secret
        if role not in MAY_USE:
            change_role(admin, user.id, role)  # the token stays; its owner may no longer use it
        users[role] = user
    someone_else = create_token(factories.user("researcher"), "not yours").token
    return {"story": story.id, "users": users, "secrets": secrets, "other_token": someone_else.id}


@pytest.mark.parametrize("route", API_ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_api_with_a_token_matrix(client, world, role, route):
    path = "/api/v1" + route.format(story=public_id(world["story"]))
    headers = bearer(world["secrets"][role]) if role != "anonymous" else {}
    response = client.get(path, headers=headers)
    expected = 200 if role in MAY_USE else 401 if role == "anonymous" else 403
    assert response.status_code == expected, response.get_data(as_text=True)[:200]
    assert response.is_json
    if expected == 200 and route in STORY_ROUTES:
        assert "allotment" in response.get_data(as_text=True)
    elif expected != 200:
        assert "allotment" not in response.get_data(as_text=True)
        assert "beans" not in response.get_data(as_text=True)


@pytest.mark.parametrize("route", API_ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_api_with_only_a_login_session_is_401_matrix(client, world, role, route):
    if role != "anonymous":
        assert login(client, world["users"][role].email).status_code == 302
    response = client.get("/api/v1" + route.format(story=public_id(world["story"])))
    assert response.status_code == 401 and response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ROLES)
def test_the_openapi_document_needs_no_token(client, world, role):
    headers = bearer(world["secrets"][role]) if role != "anonymous" else {}
    assert client.get("/api/v1/openapi.json", headers=headers).status_code == 200


def _tokens_of(user_id: int) -> int:
    return db.session.scalar(
        db.select(db.func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id)
    )


@pytest.mark.parametrize("role", ROLES)
def test_token_pages_matrix(client, world, role):
    user = world["users"].get(role)
    if user is not None:
        assert login(client, user.email).status_code == 302
    before_tokens = _tokens_of(user.id) if user else 0
    before_events = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    own = (
        db.session.scalar(db.select(ApiToken.id).where(ApiToken.user_id == user.id)) if user else 1
    )
    listing = client.get("/account/tokens")
    created = post_form(client, "/account/tokens", {"name": "matrix", "days": "30"})
    revoked = post_form(client, f"/account/tokens/{own}/revoke")
    other = post_form(client, f"/account/tokens/{world['other_token']}/revoke")
    statuses = [r.status_code for r in (listing, created, revoked, other)]
    if role == "anonymous":
        assert statuses == [302, 302, 302, 302]
        assert all("/login" in r.headers["Location"] for r in (listing, created, revoked, other))
    elif role in MAY_USE:
        assert statuses == [200, 201, 302, 404]
        assert _tokens_of(user.id) == before_tokens + 1
        assert db.session.get(ApiToken, own).revoked_at is not None
    else:
        assert statuses == [403, 403, 403, 403]
        assert _tokens_of(user.id) == before_tokens
        assert db.session.get(ApiToken, own).revoked_at is None
        after = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert not [e for e in after[before_events:] if e.action.startswith("api_token")]
    assert db.session.get(ApiToken, world["other_token"]).revoked_at is None
