"""A failed SQL statement's error names no values: story text and emails never reach a log."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from storybank.accounts.models import User
from storybank.extensions import db
from tests.factories import Factories


def test_a_failed_statement_does_not_carry_its_values(factories: Factories) -> None:
    first = factories.user("reporter", email="hidden-value@example.org")
    db.session.add(User(email=first.email, role="reporter", password_hash="x", display_name="Dup"))
    with pytest.raises(IntegrityError) as failure:
        db.session.flush()
    db.session.rollback()
    message = str(failure.value)
    assert "SQL parameters hidden" in message
    assert "hidden-value@example.org" not in message
