"""Behind a reverse proxy the client's address is the one the proxy saw, and only then."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storybank.core.audit import AuditEvent
from storybank.extensions import db
from tests.conftest import login

FORWARDED = {"X-Forwarded-For": "203.0.113.9"}


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_a_failed_login_is_recorded_from_the_address_the_setting_trusts(make_app, proxies, seen):
    app = make_app(TRUSTED_PROXIES=proxies)
    client = app.test_client()
    client.environ_base.update(
        {"HTTP_" + k.upper().replace("-", "_"): v for k, v in FORWARDED.items()}
    )
    with app.app_context():
        login(client, "nobody@example.org", "wrong password!")
        addresses = db.session.scalars(
            select(AuditEvent.remote_addr).where(AuditEvent.action == "login_failed")
        ).all()
    assert addresses == [seen]
