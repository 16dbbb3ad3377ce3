"""TOTP secrets are sealed at rest: the database row holds no secret an authenticator could use."""

from __future__ import annotations

import pyotp
from flask import Flask
from sqlalchemy import text

from storybank.accounts import twofactor
from storybank.core.db import utcnow
from storybank.core.sealed import seal
from storybank.core.sealed import unseal
from storybank.extensions import db
from tests.factories import Factories


def stored_secret(user_id: int) -> str:
    return db.session.execute(
        text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}
    ).scalar_one()


def test_the_row_holds_a_sealed_secret_and_the_model_reads_it_in_clear(
    factories: Factories,
) -> None:
    user = factories.user("reporter")
    secret = twofactor.begin_enrolment(user)
    raw = stored_secret(user.id)
    assert raw.startswith("v1:") and secret not in raw
    db.session.expire_all()
    assert db.session.get(type(user), user.id).totp_secret == secret


def test_sealing_twice_differs_and_another_purpose_or_key_does_not_open(app: Flask) -> None:
    with app.app_context():
        first, second = (
            seal("JBSWY3DPEHPK3PXP", "totp secret"),
            seal("JBSWY3DPEHPK3PXP", "totp secret"),
        )
        assert first != second
        assert unseal(first, "totp secret") == "JBSWY3DPEHPK3PXP"
        assert unseal(first, "something else") is None
        assert unseal(first[:-4] + "AAAA", "totp secret") is None
        app.config["SECRET_KEY"] = "another key entirely"
        assert unseal(first, "totp secret") is None


def test_a_secret_stored_in_clear_still_works_and_is_sealed_at_the_next_sign_in(
    factories: Factories,
) -> None:
    user = factories.user("researcher")
    secret = pyotp.random_base32()
    db.session.execute(
        text("UPDATE users SET totp_secret = :secret, totp_enabled_at = :now WHERE id = :id"),
        {"secret": secret, "now": utcnow(), "id": user.id},
    )
    db.session.commit()
    db.session.expire_all()
    assert twofactor._check_totp(user, pyotp.TOTP(secret).now(), utcnow())
    db.session.commit()
    raw = stored_secret(user.id)
    assert raw.startswith("v1:") and secret not in raw
