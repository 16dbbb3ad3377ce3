"""Logging in and out, sessions that end when they should, rate limits, CSRF, headers, and an
audit log that records what happened without ever holding story text."""

from __future__ import annotations

import html
import json
from datetime import date
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from storybank.accounts import services as accounts
from storybank.accounts.models import AuthSession
from storybank.accounts.models import User
from storybank.core.audit import AuditEvent
from storybank.core.db import utcnow
from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories

WRONG = "That email and password do not match an active account."


def redirected_to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


# --- Passwords and logging in -------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(factories):
    user = factories.user("reporter")
    assert user.password_hash.startswith("$argon2id$")
    assert Factories.PASSWORD not in user.password_hash


def test_production_hashing_uses_owasps_argon2id_setting(make_app):
    app = make_app(FAST_PASSWORD_HASHING=False)
    with app.app_context():
        hashed = accounts.hash_password("a long enough password")
    assert hashed.startswith("$argon2id$v=19$m=47104,t=1,p=1$")


def test_a_hash_made_with_older_settings_is_redone_at_sign_in(make_app):
    from argon2 import PasswordHasher

    from tests.factories import Factories as Made

    app = make_app(FAST_PASSWORD_HASHING=False)
    with app.app_context():
        user = Made(app).user("reporter")
        user.password_hash = PasswordHasher().hash(Made.PASSWORD)  # argon2-cffi's old default
        db.session.commit()
        client = app.test_client()
        assert login(client, user.email).status_code == 302
        db.session.refresh(user)
        assert user.password_hash.startswith("$argon2id$v=19$m=47104,t=1,p=1$")


def test_login_with_the_right_password_starts_a_session(client, factories):
    user = factories.user("reporter")
    response = login(client, user.email)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert client.get("/stories/").status_code == 200
    assert db.session.scalar(db.select(db.func.count(AuthSession.id))) == 1


def test_login_ignores_case_and_spaces_in_the_email(client, factories):
    user = factories.user("reporter", email="Mixed.Case@example.org")
    assert login(client, f"  {user.email.upper()} ").status_code == 302


@pytest.mark.parametrize(
    ("who", "password"),
    [("known", "not the password"), ("unknown", Factories.PASSWORD), ("known", "CORRECT")],
)
def test_login_failure_says_the_same_thing_whatever_was_wrong(client, factories, who, password):
    user = factories.user("reporter")
    email = user.email if who == "known" else "nobody@example.org"
    if password == "CORRECT":
        password = Factories.PASSWORD.upper()  # passwords are case-sensitive
    response = login(client, email, password)
    assert response.status_code == 401
    assert WRONG in html.unescape(response.get_data(as_text=True))
    assert redirected_to_login(client.get("/stories/"))
    assert db.session.scalar(db.select(db.func.count(AuthSession.id))) == 0


def test_login_with_an_empty_password_asks_for_it(client, factories):
    user = factories.user("reporter")
    response = login(client, user.email, "")
    assert "This field is required." in response.get_data(as_text=True)
    assert redirected_to_login(client.get("/stories/"))
    assert db.session.scalar(db.select(db.func.count(AuthSession.id))) == 0


def test_deactivated_account_cannot_log_in(client, factories):
    user = factories.user("reporter")
    user.is_active = False
    db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 401
    assert WRONG in html.unescape(response.get_data(as_text=True))
    assert redirected_to_login(client.get("/stories/"))
    assert [e.target_id for e in events("login_failed")] == [user.id]


def test_deactivating_an_account_ends_its_open_sessions(client, factories, login_as):
    admin = factories.user("admin")
    user = factories.user("reporter")
    login_as(user)
    assert client.get("/stories/").status_code == 200
    accounts.set_user_active(admin, user.id, False)
    assert redirected_to_login(client.get("/stories/"))


def test_logged_in_user_visiting_login_goes_home(client, factories, login_as):
    login_as(factories.user("researcher"))
    response = client.get("/login")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    home = client.get("/")
    assert urlsplit(home.headers["Location"]).path == "/research/"


# --- Sessions end when they should -------------------------------------------------------------


def test_copied_session_cookie_stops_working_after_logout(app, client, factories, login_as):
    user = factories.user("reporter")
    login_as(user)
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/stories/").status_code == 200, "the copied cookie works before logout"

    response = post_form(client, "/logout")
    assert redirected_to_login(response)

    fresh = app.test_client()
    fresh.set_cookie("session", copied)
    assert redirected_to_login(fresh.get("/stories/"))
    assert redirected_to_login(thief.get("/stories/"))
    assert redirected_to_login(client.get("/stories/"))
    session = db.session.scalar(db.select(AuthSession))
    assert session.revoked_at is not None
    assert [e.actor_id for e in events("logout")] == [user.id]


def test_logging_out_one_session_leaves_the_users_other_sessions(app, factories):
    user = factories.user("reporter")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user.email)
    login(phone, user.email)
    post_form(laptop, "/logout")
    assert redirected_to_login(laptop.get("/stories/"))
    assert phone.get("/stories/").status_code == 200


def test_role_change_ends_the_users_sessions(app, client, factories, login_as):
    admin = factories.user("admin")
    user = factories.user("reporter")
    other_device = app.test_client()
    login(other_device, user.email)
    login_as(user)
    assert client.get("/stories/").status_code == 200

    accounts.change_role(admin, user.id, "researcher")

    assert redirected_to_login(client.get("/stories/"))
    assert redirected_to_login(other_device.get("/stories/library"))
    assert login(client, user.email).status_code == 302
    assert client.get("/stories/library").status_code == 200
    assert client.get("/stories/").status_code == 403


def test_password_reset_ends_the_users_sessions(client, factories, login_as):
    admin = factories.user("admin")
    user = factories.user("reporter")
    login_as(user)
    accounts.reset_password(admin, user.id, "a brand new password")
    assert redirected_to_login(client.get("/stories/"))
    assert login(client, user.email).status_code == 401
    assert login(client, user.email, "a brand new password").status_code == 302


class Clock:
    """A clock the session code reads, moved forward by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("storybank.accounts.services.utcnow", clock)
    return clock


def test_a_session_idle_for_longer_than_the_limit_ends(client, factories, login_as, clock):
    login_as(factories.user("reporter"))
    clock.advance(minutes=29)
    assert client.get("/stories/").status_code == 200
    clock.advance(minutes=29)  # 29 minutes after the last request: still within 30
    assert client.get("/stories/").status_code == 200
    clock.advance(minutes=31)
    assert redirected_to_login(client.get("/stories/"))
    session = db.session.scalar(db.select(AuthSession))
    assert session.revoked_at is not None


def test_a_busy_session_still_ends_at_its_absolute_lifetime(client, factories, login_as, clock):
    login_as(factories.user("facilitator"))
    for _ in range(12 * 4 - 1):
        clock.advance(minutes=15)
        assert client.get("/review/").status_code == 200
    clock.advance(minutes=16)  # 12 h and 1 minute after sign-in, never idle
    assert redirected_to_login(client.get("/review/"))


def test_session_limits_come_from_the_settings(make_app, clock):
    app = make_app(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    client = app.test_client()
    with app.app_context():
        user = Factories(app).user("reporter")
        assert login(client, user.email).status_code == 302
        clock.advance(minutes=6)
        assert redirected_to_login(client.get("/stories/"))


def test_the_session_cookie_expires_with_the_absolute_lifetime(client, factories):
    user = factories.user("reporter")
    cookie = login(client, user.email).headers["Set-Cookie"]
    assert "Expires=" in cookie


def test_login_never_follows_a_next_link_off_site(client, factories):
    user = factories.user("reporter")
    response = post_form(
        client,
        "/login?next=https://evil.example/phish",
        {"email": user.email, "password": Factories.PASSWORD},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_session_cookie_is_httponly_and_samesite(client, factories):
    user = factories.user("reporter")
    response = login(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_holds_a_random_token_not_the_user_id(app, client, factories, login_as):
    """The cookie names a server-side session, so it cannot be forged from a user id."""
    user = factories.user("admin")
    login_as(user)
    serializer = app.session_interface.get_signing_serializer(app)
    contents = serializer.loads(client.get_cookie("session").value)
    token = contents["_user_id"]
    assert token != str(user.id)
    assert len(token) >= 32
    assert "admin" not in json.dumps(contents)
    assert accounts.load_session_user(str(user.id)) is None
    assert accounts.load_session_user(token).id == user.id


# --- Rate limit -------------------------------------------------------------------------------


def test_fourth_login_attempt_in_a_minute_is_refused_with_429(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_ATTEMPTS_PER_MINUTE=3)
    with app.app_context():
        user = accounts.create_user(
            None, email="limited@example.org", role="reporter", password=Factories.PASSWORD
        )
        email = user.email
    client = app.test_client()
    for _ in range(3):
        assert login(client, email, "wrong password here").status_code == 401
    response = login(client, email)  # the right password, but too many tries
    assert response.status_code == 429
    assert "Wait a minute and try again." in html.unescape(response.get_data(as_text=True))
    assert redirected_to_login(client.get("/stories/"))
    assert client.get("/login").status_code == 200, "showing the form is not limited"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuthSession.id))) == 0


# --- CSRF ----------------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused(client, factories):
    user = factories.user("reporter")
    response = client.post("/login", data={"email": user.email, "password": Factories.PASSWORD})
    assert response.status_code == 400
    assert redirected_to_login(client.get("/stories/"))
    assert events("login") == []


def test_login_with_forged_csrf_token_is_refused(client, factories):
    user = factories.user("reporter")
    response = client.post(
        "/login",
        data={"email": user.email, "password": Factories.PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert events("login") == []


def test_logout_without_csrf_token_is_refused_and_session_kept(client, factories, login_as):
    login_as(factories.user("reporter"))
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/stories/").status_code == 200
    assert events("logout") == []


def test_logout_is_not_possible_by_get(client, factories, login_as):
    login_as(factories.user("reporter"))
    assert client.get("/logout").status_code == 405
    assert client.get("/stories/").status_code == 200


# --- Security headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/login", "/stories/", "/stories/{id}", "/stories/{id}/progress.json", "/nothing"]
)
def test_every_page_carries_the_security_headers(client, factories, login_as, path):
    reporter = factories.user("reporter")
    story = factories.story(reporter)
    if path != "/login":
        login_as(reporter)
    response = client.get(path.format(id=public_id(story.id)))
    assert response.status_code in (200, 404)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_pages_have_no_inline_scripts_or_handlers(client, factories, login_as):
    """The CSP forbids inline script, so the pages must not need any."""
    reporter = factories.user("reporter")
    factories.site()
    login_as(reporter)
    body = client.get("/stories/new").get_data(as_text=True).lower()
    assert "<script>" not in body
    assert " onclick=" not in body
    assert "javascript:" not in body


# --- The audit log ----------------------------------------------------------------------------

SECRET_SENTENCE = "The quiet orchard keeper buried seventeen brass lanterns near Pickering."
SECRET_CORRECTION = "Marmalade tuesdays at the lighthouse made me trust the plan again."
SECRET_NOTE = "Remove the reference to the Pickering allotment gate code."
SECRET_REAL_NAME = "Philomena Quartermaine"


def _every_audit_value() -> str:
    """Every column of every audit row, read with raw SQL so no column is missed."""
    rows = db.session.execute(text("SELECT * FROM audit_events")).all()
    assert rows
    return "\n".join(json.dumps([str(value) for value in row]) for row in rows)


def test_audit_log_records_the_key_events_and_never_story_text(app, client, factories, login_as):
    admin = factories.user("admin")
    reporter = factories.user("reporter")
    facilitator = factories.user("facilitator")
    site = factories.site()
    admin_client = app.test_client()
    login(admin_client, admin.email)
    reviewer = app.test_client()

    # A failed login, then the reporter submits a story with a distinctive sentence.
    assert login(client, reporter.email, "not my password").status_code == 401
    login_as(reporter)
    response = post_form(
        client,
        "/stories/new",
        {
            "title": "Lanterns",
            "story_type": "personal",
            "voice": "person_on_probation",
            "site_id": str(site.id),
            "storyteller_pseudonym": "Wren",
            "storyteller_name": SECRET_REAL_NAME,
            "consent_processing": "y",
            "consent_events": "y",
            "consent_research": "y",
            "consent_given_on": date.today().isoformat(),
            "text": SECRET_SENTENCE,
            "submission_key": "audit-story",
        },
    )
    assert response.status_code == 302
    story = db.session.scalar(db.select(Story))

    # Review: read it, send it back with a note; the reporter corrects it; then approve.
    login(reviewer, facilitator.email)
    assert SECRET_SENTENCE in reviewer.get(f"/review/{public_id(story.id)}").get_data(as_text=True)
    post_form(reviewer, f"/review/{public_id(story.id)}/return", {"note": SECRET_NOTE})
    assert client.get(f"/stories/{public_id(story.id)}/resubmit").status_code == 200
    post_form(
        client,
        f"/stories/{public_id(story.id)}/resubmit",
        {"text": f"{SECRET_SENTENCE} {SECRET_CORRECTION}"},
    )
    db.session.refresh(story)
    assert story.status == "in_review"
    reviewer.get(f"/review/{public_id(story.id)}")
    assert (
        post_form(reviewer, f"/review/{public_id(story.id)}/redactions/sign-off").status_code == 302
    )
    assert post_form(reviewer, f"/review/{public_id(story.id)}/approve").status_code == 302
    assert SECRET_CORRECTION in client.get(f"/stories/{public_id(story.id)}/original").get_data(
        as_text=True
    )

    # The admin creates an account and changes its role, then reads the log.
    post_form(
        admin_client,
        "/admin/users",
        {
            "email": "new.person@example.org",
            "display_name": "New Person",
            "role": "reporter",
            "password": "a long first password",
        },
    )
    new_user = db.session.scalar(db.select(User).where(User.email == "new.person@example.org"))
    post_form(admin_client, f"/admin/users/{new_user.id}", {"role-role": "researcher"})
    audit_page = admin_client.get("/admin/audit").get_data(as_text=True)

    recorded = {event.action for event in db.session.scalars(db.select(AuditEvent))}
    assert {
        "login",
        "login_failed",
        "view_original",
        "story_submitted",
        "story_returned",
        "story_resubmitted",
        "story_approved",
        "user_created",
        "user_role_changed",
    } <= recorded

    everything = _every_audit_value() + audit_page
    for secret in (SECRET_SENTENCE, SECRET_CORRECTION, SECRET_NOTE, SECRET_REAL_NAME):
        assert secret not in everything, secret
        assert secret[:25] not in everything, secret
    for word in ("Pickering", "orchard", "Marmalade", "allotment", "Quartermaine"):
        assert word.lower() not in everything.lower(), word
    assert "a long first password" not in everything
    assert Factories.PASSWORD not in everything
    assert "Lanterns" not in _every_audit_value(), "not even the title"


def test_login_and_failed_login_are_audited_with_address(client, factories):
    user = factories.user("reporter")
    login(client, user.email, "wrong password!")
    login(client, "Nobody@Example.org", "wrong password!")
    login(client, user.email)
    failed = events("login_failed")
    assert [(e.actor_id, e.details.get("email")) for e in failed] == [
        (user.id, user.email),
        (None, "nobody@example.org"),
    ]
    [success] = events("login")
    assert (success.actor_id, success.target_id) == (user.id, user.id)
    assert success.remote_addr == "127.0.0.1"
    assert "wrong password!" not in _every_audit_value()


@pytest.mark.parametrize("page", ["/stories/{id}/original", "/review/{id}"])
def test_opening_an_original_is_audited(client, factories, login_as, page):
    facilitator = factories.user("facilitator")
    story = factories.story(factories.user("reporter"))
    login_as(facilitator)
    assert client.get(page.format(id=public_id(story.id))).status_code == 200
    [event] = events("view_original")
    assert (event.actor_id, event.target_type, event.target_id) == (
        facilitator.id,
        "story",
        story.id,
    )
    assert event.details == {"version": "1"}
    assert event.remote_addr == "127.0.0.1"


def test_pages_without_the_original_and_refused_views_are_not_audited(client, factories, login_as):
    reporter = factories.user("reporter")
    story = factories.story(reporter)
    login_as(factories.user("researcher"))
    assert client.get(f"/stories/{public_id(story.id)}/original").status_code == 404
    post_form(client, "/logout")
    login_as(reporter)
    assert client.get(f"/stories/{public_id(story.id)}").status_code == 200
    assert client.get(f"/stories/{public_id(story.id)}/progress.json").status_code == 200
    assert events("view_original") == []


def test_approval_is_audited_with_the_reviewer(client, factories, login_as):
    facilitator = factories.user("facilitator")
    story = factories.story(factories.user("reporter"))
    login_as(facilitator)
    post_form(client, f"/review/{public_id(story.id)}/approve")
    [event] = events("story_approved")
    assert (event.actor_id, event.target_id) == (facilitator.id, story.id)


def test_user_creation_and_role_change_are_audited_with_the_admin(factories):
    admin = factories.user("admin")
    user = accounts.create_user(
        admin, email="Someone@Example.org", role="reporter", password="long enough pw"
    )
    accounts.change_role(admin, user.id, "facilitator")
    created = [e for e in events("user_created") if e.target_id == user.id]
    assert [(e.actor_id, e.details) for e in created] == [
        (admin.id, {"email": "someone@example.org", "role": "reporter"})
    ]
    [changed] = events("user_role_changed")
    assert (changed.actor_id, changed.target_id) == (admin.id, user.id)
    assert changed.details == {"old_role": "reporter", "new_role": "facilitator"}


def test_audit_details_refuse_keys_that_could_carry_text(app_context):
    from storybank.core.audit import AuditAction
    from storybank.core.audit import record_event

    with pytest.raises(ValueError, match="may not carry"):
        record_event(AuditAction.STORY_SUBMITTED, actor_id=None, text="a story")
    with pytest.raises(ValueError, match="may not carry"):
        record_event(AuditAction.STORY_RETURNED, actor_id=None, note="a note")


def test_audit_page_is_for_admins_only_and_filters_by_action(client, factories, login_as):
    admin = factories.user("admin")
    reporter = factories.user("reporter")
    login(client, reporter.email, "wrong password!")
    login_as(reporter)
    assert client.get("/admin/audit").status_code == 403
    post_form(client, "/logout")
    login_as(admin)
    page = client.get("/admin/audit?action=login_failed").get_data(as_text=True)
    assert '<td data-label="What">login failed</td>' in page
    assert '<td data-label="What">login</td>' not in page
    assert f'{reporter.display_name} <span class="meta">(#{reporter.id})</span>' in page


def test_markup_typed_into_the_login_email_is_shown_escaped_in_the_audit_log(
    app, client, factories, login_as
):
    login(client, "<script>alert(1)</script>@evil.example", "whatever password")
    login_as(factories.user("admin"))
    page = client.get("/admin/audit?action=login_failed").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@evil.example" in page
    assert "<script>alert(1)" not in page
