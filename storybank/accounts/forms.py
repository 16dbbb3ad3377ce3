"""Forms for logging in and for admins managing accounts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired

from storybank.core.authz import Role

ROLE_CHOICES = [SelectChoice(role.value, role.value.capitalize()) for role in Role]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class CodeForm(FlaskForm):
    """A 6-digit code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired()])


class NewUserForm(FlaskForm):
    """An admin creates an account."""

    email = EmailField("Email", validators=[DataRequired()])
    display_name = StringField("Name")
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)
    password = PasswordField("First password (at least 10 characters)")


class RoleForm(FlaskForm):
    """Change a role."""

    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)


class PasswordResetForm(FlaskForm):
    """Set a new password."""

    password = PasswordField("New password (at least 10 characters)")


class EmptyForm(FlaskForm):
    """A button that posts: only the CSRF token."""
