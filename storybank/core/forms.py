"""Helpers for showing service errors on forms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from storybank.core.errors import InvalidInput


def show_error_on_form(form: FlaskForm, error: InvalidInput) -> None:
    """Attach a service's InvalidInput to the field it names, or to the whole form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), error.message]
    else:
        form.form_errors.append(error.message)
