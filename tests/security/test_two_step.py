"""Two-step sign-in through the real forms: enrolment, codes, replay, recovery codes, the roles
that need it, an admin's reset, and the per-account limit on wrong attempts."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest

from storybank.accounts.models import AuthSession
from storybank.accounts.models import RecoveryCode
from storybank.accounts.models import User
from storybank.core.audit import AuditEvent
from storybank.core.db import utcnow
from storybank.extensions import db
from tests.conftest import login
from tests.conftest import post_form
from tests.factories import Factories

_SECRET = re.compile(r'<code class="secret-key">([A-Z2-7 ]+)</code>')
_RECOVERY = re.compile(r"<li><code>([a-z0-9-]+)</code></li>")


class Clock:
    """The time the sign-in code reads, moved by the test."""

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
    monkeypatch.setattr("storybank.accounts.twofactor.utcnow", clock)
    return clock


def path(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def password_step(client, email: str, password: str = Factories.PASSWORD):
    return post_form(client, "/login", {"email": email, "password": password})


def code_now(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


def enrol(client, user: User, clock: Clock) -> tuple[str, list[str]]:
    """Sign in for the first time through every form; return the secret and recovery codes."""
    assert path(password_step(client, user.email)) == "/login/set-up"
    page = client.get("/login/set-up").get_data(as_text=True)
    secret = _SECRET.search(page).group(1).replace(" ", "")
    assert 'src="data:image/svg+xml' in page
    response = post_form(client, "/login/set-up", {"code": code_now(secret, clock)})
    assert response.status_code == 200
    codes = _RECOVERY.findall(response.get_data(as_text=True))
    return secret, codes


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("role", ["facilitator", "researcher", "admin"])
def test_the_password_alone_gives_no_access_to_roles_that_need_two_steps(client, factories, role):
    user = factories.user(role)
    response = password_step(client, user.email)
    assert path(response) == "/login/set-up"
    assert db.session.scalar(db.select(AuthSession)) is None
    assert (
        path(
            client.get(
                "/review/"
                if role == "facilitator"
                else "/research/"
                if role == "researcher"
                else "/admin/users"
            )
        )
        == "/login"
    )


def test_a_reporter_signs_in_with_the_password_alone_unless_they_chose_two_steps(
    client, factories, clock
):
    reporter = factories.user("reporter")
    assert path(password_step(client, reporter.email)) == "/"
    assert client.get("/stories/").status_code == 200
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "Two-step sign-in is off" in page
    secret = _SECRET.search(client.get("/login/set-up").get_data(as_text=True)).group(1)
    secret = secret.replace(" ", "")
    response = post_form(client, "/login/set-up", {"code": code_now(secret, clock)})
    assert len(_RECOVERY.findall(response.get_data(as_text=True))) == 10
    post_form(client, "/logout")
    assert path(password_step(client, reporter.email)) == "/login/code"


def test_enrolment_shows_a_secret_and_qr_then_recovery_codes_once(client, factories, clock):
    user = factories.user("facilitator")
    secret, codes = enrol(client, user, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/review/").status_code == 200
    db.session.refresh(user)
    assert user.totp_enabled_at is not None
    stored = [row.code_hash for row in db.session.scalars(db.select(RecoveryCode))]
    assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
    assert client.get("/login/set-up").status_code == 302  # never shown again
    assert len(events("two_factor_enrolled")) == 1
    assert secret not in str([e.details for e in db.session.scalars(db.select(AuditEvent))])


def test_a_wrong_code_at_enrolment_is_refused(client, factories, clock):
    user = factories.user("researcher")
    password_step(client, user.email)
    response = post_form(client, "/login/set-up", {"code": "000000"})
    assert response.status_code == 400
    assert "That code does not match" in response.get_data(as_text=True)
    assert path(client.get("/research/")) == "/login"


def test_a_wrong_code_is_refused_and_audited(client, factories, clock):
    user = factories.user("facilitator")
    secret, _ = enrol(client, user, clock)
    post_form(client, "/logout")
    assert path(password_step(client, user.email)) == "/login/code"
    response = post_form(client, "/login/code", {"code": "123456"})
    assert response.status_code == 401
    assert "That code did not work" in response.get_data(as_text=True)
    assert path(client.get("/review/")) == "/login"
    assert len(events("two_factor_failed")) == 1
    clock.advance(seconds=30)
    assert path(post_form(client, "/login/code", {"code": code_now(secret, clock)})) == "/"
    assert client.get("/review/").status_code == 200
    assert len(events("two_factor_passed")) == 1


def test_a_code_cannot_be_used_twice(client, factories, clock):
    user = factories.user("admin")
    secret, _ = enrol(client, user, clock)  # uses the code of this time step
    post_form(client, "/logout")
    password_step(client, user.email)
    response = post_form(client, "/login/code", {"code": code_now(secret, clock)})
    assert response.status_code == 401
    # An earlier step's code is refused too once a later one was used.
    clock.advance(seconds=30)
    earlier = pyotp.TOTP(secret).at(clock.now - timedelta(seconds=60))
    assert post_form(client, "/login/code", {"code": earlier}).status_code == 401
    assert path(post_form(client, "/login/code", {"code": code_now(secret, clock)})) == "/"


def test_a_recovery_code_works_once(client, factories, clock):
    user = factories.user("researcher")
    _, codes = enrol(client, user, clock)
    post_form(client, "/logout")
    password_step(client, user.email)
    assert path(post_form(client, "/login/code", {"code": codes[0].upper()})) == "/"
    assert len(events("recovery_code_used")) == 1
    assert events("recovery_code_used")[0].details["count"] == "9"
    post_form(client, "/logout")
    password_step(client, user.email)
    assert post_form(client, "/login/code", {"code": codes[0]}).status_code == 401
    assert path(post_form(client, "/login/code", {"code": codes[1]})) == "/"


def test_the_code_step_needs_the_password_step_first(client, factories, clock):
    user = factories.user("facilitator")
    secret, _ = enrol(client, user, clock)
    fresh = client.application.test_client()
    clock.advance(seconds=30)
    response = post_form(fresh, "/login/code", {"code": code_now(secret, clock)})
    assert path(response) == "/login"
    assert path(fresh.get("/review/")) == "/login"


def test_an_admin_resets_a_users_two_steps(client, factories, clock):
    admin = factories.user("admin")
    user = factories.user("facilitator")
    browser = client.application.test_client()
    enrol(browser, user, clock)
    assert browser.get("/review/").status_code == 200
    clock.advance(seconds=30)
    enrol(client, admin, clock)
    response = post_form(client, f"/admin/users/{user.id}/two-step/reset")
    assert path(response) == f"/admin/users/{user.id}"
    db.session.refresh(user)
    assert user.totp_secret is None and user.totp_enabled_at is None
    assert db.session.scalar(db.select(RecoveryCode).where(RecoveryCode.user_id == user.id)) is None
    assert path(browser.get("/review/")) == "/login"  # their sessions ended
    (event,) = events("two_factor_reset")
    assert event.actor_id == admin.id and event.target_id == user.id
    post_form(browser, "/logout")
    assert path(password_step(browser, user.email)) == "/login/set-up"


def test_only_admins_may_reset_two_steps(client, factories, login_as):
    target = factories.user("researcher")
    login_as(factories.user("facilitator"))
    response = post_form(client, f"/admin/users/{target.id}/two-step/reset")
    assert response.status_code in (403, 404)
    assert not events("two_factor_reset")


def test_a_session_of_a_role_that_needs_two_steps_but_has_none_grants_nothing(
    client, factories, login_as
):
    """Sessions from before two-step sign-in existed stop working."""
    user = factories.user("facilitator")
    login_as(user)
    assert client.get("/review/").status_code == 200
    user.totp_enabled_at = None
    db.session.commit()
    assert path(client.get("/review/")) == "/login"


# --- Per-account limits --------------------------------------------------------------------------


def test_repeated_wrong_passwords_pause_the_account_then_it_works_again(make_app, clock):
    app = make_app()
    with app.app_context():
        user = Factories(app).user("reporter")
        user = User(id=user.id, email=user.email)
    attacker = app.test_client()
    for _ in range(5):
        assert password_step(attacker, user.email, "wrong password!").status_code == 401
    # The right password from someone else's address is refused too while the account waits,
    # and the person is told plainly why and for how long.
    owner = app.test_client()
    response = password_step(owner, user.email)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "too many wrong attempts" in page and "Try again in a minute" in page
    clock.advance(seconds=31)
    assert path(password_step(owner, user.email)) == "/"
    with app.app_context():
        assert db.session.get(User, user.id).failed_logins == 0
        assert len(events("login_delayed")) == 1


def test_the_pause_grows_with_each_failure_but_never_past_the_cap(make_app, clock):
    app = make_app(LOGIN_DELAY_MAX_SECONDS=120)
    with app.app_context():
        user = Factories(app).user("reporter")
        user = User(id=user.id, email=user.email)
    client = app.test_client()
    waits = []
    for _ in range(5):
        password_step(client, user.email, "wrong password!")
    for _ in range(4):
        with app.app_context():
            locked_until = db.session.get(User, user.id).locked_until
        waits.append(round((locked_until - clock.now).total_seconds()))
        clock.now = locked_until + timedelta(seconds=1)
        password_step(client, user.email, "wrong password!")
    assert waits == [30, 60, 120, 120]


def test_attempts_during_a_pause_do_not_lengthen_it(make_app, clock):
    app = make_app()
    with app.app_context():
        user = Factories(app).user("reporter")
        user = User(id=user.id, email=user.email)
    client = app.test_client()
    for _ in range(5):
        password_step(client, user.email, "wrong password!")
    for _ in range(20):
        assert password_step(client, user.email, "wrong password!").status_code == 429
    clock.advance(seconds=31)
    assert path(password_step(client, user.email)) == "/"


def test_wrong_codes_count_towards_the_account_pause(client, factories, clock):
    user = factories.user("facilitator")
    secret, _ = enrol(client, user, clock)
    post_form(client, "/logout")
    password_step(client, user.email)
    for _ in range(5):
        assert post_form(client, "/login/code", {"code": "000000"}).status_code == 401
    next_code = pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30))
    response = post_form(client, "/login/code", {"code": next_code})
    assert response.status_code == 429
    clock.advance(seconds=31)
    assert path(post_form(client, "/login/code", {"code": code_now(secret, clock)})) == "/"


def test_one_account_paused_leaves_others_behind_the_same_address_alone(make_app, clock):
    app = make_app()
    with app.app_context():
        factories = Factories(app)
        victim, colleague = factories.user("reporter").email, factories.user("reporter").email
    client = app.test_client()
    for _ in range(6):
        password_step(client, victim, "wrong password!")
    assert path(password_step(client, colleague)) == "/"


# --- The new routes, role by role ---------------------------------------------------------------

ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, "reporter", "facilitator", "researcher", "admin"]
# What each route answers: a status, or "->" and where it redirects.
MATRIX = {
    ("GET", "/account/two-step"): {ANONYMOUS: "-> /login", "*": "200"},
    ("GET", "/login/code"): {ANONYMOUS: "-> /login", "*": "-> /login"},
    # A signed-in reporter (without an app) may set one up; the others already have one.
    ("GET", "/login/set-up"): {ANONYMOUS: "-> /login", "reporter": "200", "*": "-> /"},
    ("POST", "/admin/users/{target}/two-step/reset"): {
        ANONYMOUS: "-> /login",
        "admin": "-> /admin/users/{target}",
        "*": "403",
    },
}


def _outcome(response) -> str:
    if response.status_code == 302:
        return f"-> {path(response)}"
    return str(response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "route"), list(MATRIX))
def test_two_step_routes_answer_each_role_by_the_rules(
    client, factories, login_as, role, method, route
):
    target = factories.user("researcher")
    login(client, target.email)  # enrolled, so a reset has something to clear
    post_form(client, "/logout")
    if role != ANONYMOUS:
        login_as(factories.user(role))
    url = route.format(target=target.id)
    response = client.get(url) if method == "GET" else post_form(client, url)
    rules = MATRIX[(method, route)]
    expected = rules.get(role, rules["*"]).format(target=target.id)
    assert _outcome(response) == expected
    db.session.refresh(target)
    assert (target.totp_enabled_at is None) == (role == "admin" and method == "POST")


def test_the_command_line_resets_two_steps_for_a_lost_phone(client, factories, runner, clock):
    admin = factories.user("admin")
    enrol(client, admin, clock)
    result = runner.invoke(args=["users", "reset-two-step", "--email", admin.email.upper()])
    assert result.exit_code == 0, result.output
    db.session.refresh(admin)
    assert admin.totp_enabled_at is None
    assert path(client.get("/admin/users")) == "/login"
    (event,) = events("two_factor_reset")
    assert event.actor_id is None and event.target_id == admin.id
    missing = runner.invoke(args=["users", "reset-two-step", "--email", "nobody@example.org"])
    assert missing.exit_code != 0 and "no account" in missing.output
