"""API tokens: hashed at rest, shown once, expiring, revocable; and every way a token fails."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from storybank.accounts.services import change_role
from storybank.accounts.services import set_user_active
from storybank.api.models import ApiToken
from storybank.api.tokens import create_token
from storybank.api.tokens import list_tokens
from storybank.api.tokens import revoke_token
from storybank.core.audit import AuditEvent
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.extensions import db
from tests.api.conftest import bearer
from tests.conftest import post_form
from tests.conftest import public_id


def _token(secret: str) -> ApiToken:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == digest))


def test_a_token_is_stored_only_as_its_hash(researcher):
    new = create_token(researcher, "laptop")
    assert new.secret.startswith("sb_") and len(new.secret) > 40
    row = _token(new.secret)
    assert row.id == new.token.id and row.prefix == new.secret[:8]
    stored = [str(value) for value in db.session.execute(db.select(ApiToken.__table__)).one()]
    assert all(new.secret not in value for value in stored)
    assert all(new.secret[8:16] not in value for value in stored)


def test_a_token_lasts_90_days_by_default_and_at_most_a_year(researcher):
    default = create_token(researcher, "default").token
    assert default.expires_at - default.created_at == timedelta(days=90)
    longest = create_token(researcher, "longest", 365).token
    assert longest.expires_at - longest.created_at == timedelta(days=365)
    for days in (0, -1, 366):
        with pytest.raises(InvalidInput):
            create_token(researcher, "bad", days)
    with pytest.raises(InvalidInput):
        create_token(researcher, "   ")


@pytest.mark.parametrize("role", ["reporter", "facilitator"])
def test_only_researchers_and_admins_hold_tokens(factories, role):
    with pytest.raises(NotAllowed):
        create_token(factories.user(role), "mine")
    with pytest.raises(NotAllowed):
        list_tokens(factories.user(role))
    assert create_token(factories.user("admin"), "admin's").secret


def test_people_list_and_revoke_only_their_own_tokens(factories, researcher):
    mine = create_token(researcher, "mine").token
    other = factories.user("researcher")
    theirs = create_token(other, "theirs").token
    assert [t.id for t in list_tokens(researcher)] == [mine.id]
    with pytest.raises(NotFound):
        revoke_token(researcher, theirs.id)
    assert db.session.get(ApiToken, theirs.id).revoked_at is None
    revoke_token(researcher, mine.id)
    assert db.session.get(ApiToken, mine.id).revoked_at is not None


def test_creating_and_revoking_are_audited_without_the_name_or_secret(researcher):
    new = create_token(researcher, "Project Kestrel laptop", 30)
    revoke_token(researcher, new.token.id)
    events = list(db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)))
    actions = [(e.action, e.target_type, e.target_id) for e in events[-2:]]
    assert actions == [
        ("api_token_created", "api_token", new.token.id),
        ("api_token_revoked", "api_token", new.token.id),
    ]
    for event in events:
        assert "Kestrel" not in str(event.details) and new.secret[3:] not in str(event.details)


def test_the_api_answers_a_live_token_and_notes_its_use(client, researcher, secret):
    assert _token(secret).last_used_at is None
    response = client.get("/api/v1/codebook", headers=bearer(secret))
    assert response.status_code == 200
    first_use = _token(secret).last_used_at
    assert first_use is not None
    client.get("/api/v1/codebook", headers=bearer(secret))
    db.session.expire_all()
    assert _token(secret).last_used_at == first_use  # written at most once a minute
    _token(secret).last_used_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    client.get("/api/v1/codebook", headers=bearer(secret))
    db.session.expire_all()
    assert _token(secret).last_used_at > first_use


def _expire(secret: str) -> None:
    _token(secret).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def _revoke(secret: str) -> None:
    token = _token(secret)
    revoke_token(token.user, token.id)


def _deactivate(secret: str) -> None:
    token = _token(secret)
    admin = db.session.scalar(db.select(type(token.user)).where(type(token.user).role == "admin"))
    set_user_active(admin, token.user.id, False)


@pytest.mark.parametrize(
    "headers, spoil",
    [
        ({}, None),
        ({"Authorization": ""}, None),
        ({"Authorization": "Bearer"}, None),
        ({"Authorization": "Bearer "}, None),
        ({"Authorization": "Basic c2JfYWJjOmFiYw=="}, None),
        ({"Authorization": "Token {secret}"}, None),
        ({"Authorization": "Bearer {secret}x"}, None),
        ({"Authorization": "Bearer not-a-storybank-token"}, None),
        ({"Authorization": "Bearer sb_" + "A" * 43}, None),
        ({"Authorization": "Bearer {secret}"}, _expire),
        ({"Authorization": "Bearer {secret}"}, _revoke),
        ({"Authorization": "Bearer {secret}"}, _deactivate),
    ],
    ids=[
        "missing", "empty", "no-secret", "blank-secret", "basic", "other-scheme", "altered",
        "malformed", "unknown", "expired", "revoked", "owner-deactivated",
    ],
)  # fmt: skip
def test_every_refused_token_is_a_401_with_a_bearer_challenge(
    client, factories, secret, headers, spoil
):
    factories.user("admin")
    if spoil:
        spoil(secret)
    headers = {name: value.format(secret=secret) for name, value in headers.items()}
    for path in ("/stories", f"/stories/{public_id(1)}", "/codebook", "/themes/counts", "/nowhere"):
        response = client.get(f"/api/v1{path}", headers=headers)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.is_json and response.json["error"]["status"] == 401


def test_a_logged_in_browser_without_a_token_gets_401(client, login_as, researcher):
    login_as(researcher)
    assert client.get("/account/tokens").status_code == 200  # the session works
    response = client.get("/api/v1/stories")
    assert response.status_code == 401 and response.is_json
    assert client.post("/api/v1/stories").status_code == 401


def test_a_token_whose_owner_is_not_a_researcher_is_refused_with_403(client, factories):
    researcher = factories.user("researcher")
    secret = create_token(researcher, "was a researcher").secret
    change_role(factories.user("admin"), researcher.id, "reporter")  # now a reporter's token
    for path in ("/stories", f"/stories/{public_id(1)}", "/codebook", "/themes/counts"):
        response = client.get(f"/api/v1{path}", headers=bearer(secret))
        assert response.status_code == 403, path
        assert response.is_json


def test_the_page_shows_a_new_secret_once(client, login_as, researcher):
    login_as(researcher)
    response = post_form(client, "/account/tokens", {"name": "thesis laptop", "days": "30"})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == researcher.id))
    secret = next(word for word in page.split('"') if word.startswith("sb_") and len(word) > 40)
    assert _token(secret).id == row.id
    assert "will not be shown again" in page
    assert "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    later = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in later and row.prefix in later and "thesis laptop" in later
    with client.session_transaction() as session:
        assert secret not in str(dict(session))


def test_the_page_refuses_a_bad_token_request_and_revokes(client, login_as, researcher):
    login_as(researcher)
    response = post_form(client, "/account/tokens", {"name": "", "days": "400"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0
    new = create_token(researcher, "old")
    response = post_form(client, f"/account/tokens/{new.token.id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/codebook", headers=bearer(new.secret)).status_code == 401
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "revoked" in page


def test_the_navigation_links_to_the_tokens_page_for_researchers(client, login_as, researcher):
    login_as(researcher)
    assert 'href="/account/tokens"' in client.get("/account/tokens").get_data(as_text=True)
