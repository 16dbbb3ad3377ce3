"""The form for adding or changing a theme."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import StringField
from wtforms import TextAreaField

from storybank.tag.models import ThemeDefinition


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ThemeForm(FlaskForm):
    """A theme: lists are one entry per line."""

    key = StringField("Key (short, lower case; the same key changes that theme)")
    name = StringField("Name")
    definition = TextAreaField("What it covers")
    indicators = TextAreaField("Indicator phrases, one per line")
    positive_examples = TextAreaField("Passages that carry it, one per line")
    negative_examples = TextAreaField("Passages that look like it but do not, one per line")
    retired = BooleanField("Retired (no longer suggested or applied)")

    def to_fields(self) -> dict[str, Any]:
        """Return the answers as the service's arguments."""
        return {
            "key": self.key.data or "",
            "name": self.name.data or "",
            "definition": self.definition.data or "",
            "indicators": _lines(self.indicators.data),
            "positive_examples": _lines(self.positive_examples.data),
            "negative_examples": _lines(self.negative_examples.data),
            "retired": bool(self.retired.data),
        }

    def fill_from(self, theme: ThemeDefinition) -> None:
        """Show a theme for editing."""
        self.key.data = theme.key
        self.name.data = theme.name
        self.definition.data = theme.definition
        self.indicators.data = "\n".join(theme.indicators)
        self.positive_examples.data = "\n".join(theme.positive_examples)
        self.negative_examples.data = "\n".join(theme.negative_examples)
        self.retired.data = theme.retired
