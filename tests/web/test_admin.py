"""Admins manage accounts through the web: create, change role, reset password, deactivate.
The last admin cannot be demoted or deactivated, and nobody else may open these pages."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

import pytest

from storybank.accounts.models import AuthSession
from storybank.accounts.models import User
from storybank.core.audit import AuditEvent
from storybank.core.ids import story_label
from storybank.extensions import db
from storybank.stories.models import Site
from tests.conftest import csrf_token
from tests.conftest import login
from tests.conftest import post_form

LAST_ADMIN = "This is the last admin. Make someone else an admin first."


@pytest.fixture
def admin(factories, login_as):
    user = factories.user("admin")
    login_as(user)
    return user


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post_user_form(client, user_id: int, prefix: str, fields: dict | None = None):
    """POST one of the three forms on /admin/users/<id>, named as the page names them."""
    data = {f"{prefix}-csrf_token": csrf_token(client)}
    data.update({f"{prefix}-{name}": value for name, value in (fields or {}).items()})
    return client.post(f"/admin/users/{user_id}", data=data)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email))


def live_sessions(user: User) -> int:
    return db.session.scalar(
        db.select(db.func.count(AuthSession.id)).where(
            AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
        )
    )


NEW_USER = {
    "email": "Sam.Jones@Example.org",
    "display_name": "Sam Jones",
    "role": "facilitator",
    "password": "a first password",
}


# --- Creating accounts -------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_log_in(app, client, admin):
    response = post_form(client, "/admin/users", NEW_USER)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/admin/users"
    page = text_of(client.get("/admin/users"))
    assert "Account created for sam.jones@example.org." in page
    assert "Sam Jones" in page

    user = user_by_email("sam.jones@example.org")
    assert (user.role, user.display_name, user.is_active) == ("facilitator", "Sam Jones", True)
    assert user.password_hash.startswith("$argon2id$")
    other = app.test_client()
    assert login(other, "sam.jones@example.org", "a first password").status_code == 302
    assert other.get("/review/").status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password": "short"}, "Choose a password of at least 10 characters."),
        ({"role": "superuser"}, "Choose a role: reporter, facilitator, researcher, admin."),
        ({"email": "not-an-email"}, "Enter an email address like name@example.org."),
    ],
)
def test_bad_new_user_is_refused_with_a_message(client, admin, change, message):
    response = post_form(client, "/admin/users", {**NEW_USER, **change})
    assert response.status_code == 400
    assert message in text_of(response)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1  # the admin only


def test_second_account_with_the_same_email_is_refused(client, admin, factories):
    factories.user("reporter", email="sam.jones@example.org")
    response = post_form(client, "/admin/users", NEW_USER)
    assert response.status_code == 400
    assert "There is already an account with that email address." in text_of(response)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 2


def test_creating_a_user_without_csrf_token_is_refused(client, admin):
    response = client.post("/admin/users", data=NEW_USER)
    assert response.status_code == 400
    assert user_by_email("sam.jones@example.org") is None


# --- Changing role and password -----------------------------------------------------------------


def test_admin_changes_a_role_and_the_users_sessions_end(app, client, admin, factories):
    user = factories.user("reporter")
    their_browser = app.test_client()
    login(their_browser, user.email)
    assert live_sessions(user) == 1

    response = post_user_form(client, user.id, "role", {"role": "researcher"})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/admin/users/{user.id}"
    page = text_of(client.get(f"/admin/users/{user.id}"))
    assert "Role changed. Their sessions have ended so the change applies at once." in page
    db.session.refresh(user)
    assert user.role == "researcher"
    assert live_sessions(user) == 0
    assert urlsplit(their_browser.get("/stories/").headers["Location"]).path == "/login"
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user_role_changed"))
    assert (event.actor_id, event.target_id) == (admin.id, user.id)


def test_changing_to_an_unknown_role_is_refused_with_a_message(client, admin, factories):
    user = factories.user("reporter")
    post_user_form(client, user.id, "role", {"role": "overlord"})
    page = text_of(client.get(f"/admin/users/{user.id}"))
    assert "Choose a role: reporter, facilitator, researcher, admin." in page
    db.session.refresh(user)
    assert user.role == "reporter"


def test_admin_resets_a_password(app, client, admin, factories):
    user = factories.user("reporter")
    response = post_user_form(client, user.id, "password", {"password": "a fresh password"})
    assert response.status_code == 302
    assert "Password changed." in text_of(client.get(f"/admin/users/{user.id}"))
    other = app.test_client()
    assert login(other, user.email).status_code == 401
    assert login(other, user.email, "a fresh password").status_code == 302


def test_too_short_password_reset_is_refused_with_a_message(client, admin, factories):
    user = factories.user("reporter")
    old_hash = user.password_hash
    post_user_form(client, user.id, "password", {"password": "short"})
    assert "Choose a password of at least 10 characters." in text_of(
        client.get(f"/admin/users/{user.id}")
    )
    db.session.refresh(user)
    assert user.password_hash == old_hash


# --- Deactivating -------------------------------------------------------------------------------


def test_admin_deactivates_and_reactivates_an_account(app, client, admin, factories):
    user = factories.user("facilitator")
    their_browser = app.test_client()
    login(their_browser, user.email)

    assert post_user_form(client, user.id, "toggle").status_code == 302
    db.session.refresh(user)
    assert user.is_active is False
    page = text_of(client.get(f"/admin/users/{user.id}"))
    assert "deactivated" in page
    assert "Reactivate this account" in page
    assert urlsplit(their_browser.get("/review/").headers["Location"]).path == "/login"
    assert login(their_browser, user.email).status_code == 401

    post_user_form(client, user.id, "toggle")
    db.session.refresh(user)
    assert user.is_active is True
    assert login(their_browser, user.email).status_code == 302
    actions = [
        e.action
        for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.target_id == user.id).order_by(AuditEvent.id)
        )
        if e.action.startswith("user_")
    ]
    assert actions == ["user_created", "user_deactivated", "user_reactivated"]


# --- The last admin ---------------------------------------------------------------------------


def test_the_last_admin_cannot_be_demoted(client, admin):
    response = post_user_form(client, admin.id, "role", {"role": "reporter"})
    assert response.status_code == 409
    assert LAST_ADMIN in text_of(response)
    db.session.refresh(admin)
    assert admin.role == "admin"
    assert client.get("/admin/users").status_code == 200, "still logged in as an admin"


def test_the_last_admin_cannot_be_deactivated(client, admin):
    response = post_user_form(client, admin.id, "toggle")
    assert response.status_code == 409
    assert LAST_ADMIN in text_of(response)
    db.session.refresh(admin)
    assert admin.is_active is True


def test_with_two_admins_one_may_be_demoted_but_then_not_the_other(client, admin, factories):
    second = factories.user("admin")
    assert post_user_form(client, second.id, "role", {"role": "researcher"}).status_code == 302
    db.session.refresh(second)
    assert second.role == "researcher"
    assert post_user_form(client, admin.id, "role", {"role": "reporter"}).status_code == 409
    assert post_user_form(client, admin.id, "toggle").status_code == 409


def test_a_deactivated_admin_does_not_count_as_another_admin(client, admin, factories):
    second = factories.user("admin")
    assert post_user_form(client, second.id, "toggle").status_code == 302
    assert post_user_form(client, admin.id, "role", {"role": "reporter"}).status_code == 409
    assert post_user_form(client, admin.id, "toggle").status_code == 409
    db.session.refresh(admin)
    assert (admin.role, admin.is_active) == ("admin", True)


def test_a_deactivated_admin_may_be_demoted_while_another_admin_is_active(client, admin, factories):
    former = factories.user("admin")
    post_user_form(client, former.id, "toggle")
    response = post_user_form(client, former.id, "role", {"role": "reporter"})
    assert response.status_code == 302
    db.session.refresh(former)
    assert former.role == "reporter"


# --- Everyone else -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reporter", "facilitator", "researcher"])
def test_non_admins_get_403_on_every_admin_page_and_change_nothing(
    client, factories, login_as, role
):
    target = factories.user("reporter")
    login_as(factories.user(role))
    answers = {
        "GET /admin/users": client.get("/admin/users").status_code,
        "GET /admin/users/<id>": client.get(f"/admin/users/{target.id}").status_code,
        "GET /admin/sites": client.get("/admin/sites").status_code,
        "GET /admin/audit": client.get("/admin/audit").status_code,
        "POST /admin/users": post_form(client, "/admin/users", NEW_USER).status_code,
        "POST role": post_user_form(client, target.id, "role", {"role": "admin"}).status_code,
        "POST password": post_user_form(
            client, target.id, "password", {"password": "taken over account"}
        ).status_code,
        "POST toggle": post_user_form(client, target.id, "toggle").status_code,
        "POST /admin/sites": post_form(client, "/admin/sites", {"name": "Rogue"}).status_code,
    }
    assert answers == dict.fromkeys(answers, 403)
    db.session.refresh(target)
    assert (target.role, target.is_active) == ("reporter", True)
    assert login(client.application.test_client(), target.email).status_code == 302
    assert user_by_email("sam.jones@example.org") is None
    assert db.session.scalar(db.select(Site).where(Site.name == "Rogue")) is None


def test_anonymous_visitors_are_sent_to_login_from_admin_pages(client, factories):
    target = factories.user("reporter")
    for path in ("/admin/users", f"/admin/users/{target.id}", "/admin/sites", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response.headers["Location"]).path == "/login"


def test_unknown_user_answers_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404


# --- Sites ----------------------------------------------------------------------------------------


def test_admin_adds_a_site_and_a_duplicate_is_refused(client, admin):
    assert post_form(client, "/admin/sites", {"name": "Eastfield"}).status_code == 302
    assert "Eastfield" in text_of(client.get("/admin/sites"))
    response = post_form(client, "/admin/sites", {"name": "Eastfield"})
    assert "There is already a site with that name." in text_of(response)
    assert db.session.scalar(db.select(db.func.count(Site.id))) == 1


def test_the_audit_log_names_people_and_stories_instead_of_row_numbers(factories, login_as):
    admin = factories.user("admin")
    reporter = factories.user("reporter")
    story = factories.story(reporter)
    client = login_as(admin)
    client.get(f"/admin/users/{reporter.id}")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f'>{admin.display_name} <span class="meta">(#{admin.id})</span>' in page
    assert f'{reporter.display_name} <span class="meta">(#{reporter.id})</span>' in page
    assert "story submitted" in page
    with client.application.test_request_context():
        assert story_label(story.id) in page
    assert f"story {story.id}<" not in page
