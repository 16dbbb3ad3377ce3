"""Repeated wrong sign-ins make an address wait whether or not it has an account, so the wait
never tells anyone that an account exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from storybank.accounts import services
from storybank.accounts.models import LoginThrottle
from storybank.core.db import utcnow
from storybank.extensions import db
from tests.factories import Factories

UNKNOWN = "nobody-here@example.org"


def fail_until_paused(email: str, attempts: int) -> list[str]:
    """Try a wrong password `attempts` times; what each attempt answered."""
    answers = []
    for _ in range(attempts):
        try:
            answers.append(
                "refused" if services.authenticate(email, "wrong password!") is None else "in"
            )
        except services.LoginDelayed:
            answers.append("paused")
    return answers


def test_an_unknown_address_waits_exactly_as_an_account_does(
    app: Flask, factories: Factories
) -> None:
    known = factories.user("reporter").email
    free = app.config["LOGIN_FAILURES_BEFORE_DELAY"]
    expected = ["refused"] * free + ["paused"]
    assert fail_until_paused(known, free + 1) == expected
    assert fail_until_paused(UNKNOWN, free + 1) == expected
    assert fail_until_paused(UNKNOWN.upper(), 1) == ["paused"]  # the same address, normalised


def test_the_throttle_keeps_no_address_and_forgets_after_a_day(app_context: None) -> None:
    fail_until_paused(UNKNOWN, 2)
    stored = db.session.scalars(select(LoginThrottle)).all()
    assert len(stored) == 1 and stored[0].failed_logins == 2
    assert UNKNOWN not in stored[0].key and len(stored[0].key) == 64
    old_key = stored[0].key
    stored[0].last_failed_at = utcnow() - timedelta(days=2)
    db.session.commit()
    fail_until_paused("someone-else@example.org", 1)
    keys = db.session.scalars(select(LoginThrottle.key)).all()
    assert old_key not in keys and len(keys) == 1


@pytest.mark.parametrize("typed", ["", "not an address"])
def test_something_that_is_not_an_address_is_never_stored(app_context: None, typed: str) -> None:
    assert fail_until_paused(typed, 3) == ["refused"] * 3
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0
