"""A failed SQL statement never puts its values in a log: SQLAlchemy hides the parameters, and
the app's log shows a database error by its type only (PostgreSQL's own detail quotes values)."""

from __future__ import annotations

import logging
import sys

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from storybank.accounts.models import User
from storybank.extensions import db
from tests.factories import Factories

VALUE = "hidden-value@example.org"


def duplicate_user_error(factories: Factories) -> IntegrityError:
    first = factories.user("reporter", email=VALUE)
    db.session.add(User(email=first.email, role="reporter", password_hash="x", display_name="Dup"))
    with pytest.raises(IntegrityError) as failure:
        db.session.flush()
    db.session.rollback()
    return failure.value


def test_the_statement_in_an_error_shows_no_parameters(factories: Factories) -> None:
    message = str(duplicate_user_error(factories))
    assert "SQL parameters hidden" in message
    assert VALUE not in message.split("[SQL:", 1)[1]


def test_the_app_logs_a_database_error_by_its_type_only(
    app: Flask, factories: Factories, caplog: pytest.LogCaptureFixture
) -> None:
    error = duplicate_user_error(factories)
    try:
        raise error
    except IntegrityError:
        exc_info = sys.exc_info()
    with app.test_request_context("/admin/users", method="POST"), caplog.at_level(logging.ERROR):
        app.log_exception(exc_info)  # what Flask does with an error a view did not handle
    logged = caplog.text
    assert "Exception on /admin/users [POST]" in logged
    assert "DatabaseErrorHidden" in logged and "its text is not logged" in logged
    assert VALUE not in logged and "INSERT INTO" not in logged
