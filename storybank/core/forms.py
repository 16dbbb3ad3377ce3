"""Helpers for showing service errors on forms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from storybank.core.errors import InvalidInput


def show_error_on_form(form: FlaskForm, error: InvalidInput) -> None:
    """Attach each of a service's problems to the field it names, or to the whole form."""
    for field_name, message in error.problems:
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
        else:
            form.form_errors.append(message)
