"""The API's query parameters, defined once: checked on every request and described in OpenAPI.

The search service reads the same parameters as the search page (`query_from_args`); these
checks come first, so that a value the database cannot hold (a page past any result, a site
id beyond an integer, a control character in a theme key) is a 400, never a server error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from storybank.core.errors import InvalidInput
from storybank.search.query import LENGTH_BANDS
from storybank.search.query import MAX_PER_PAGE
from storybank.search.query import MAX_QUERY_CHARS
from storybank.search.query import SORTS
from storybank.stories.models import StoryType
from storybank.stories.models import Voice

MAX_PAGE = 10_000
MAX_ID = 2_147_483_647
MAX_VALUES = 20
THEME_KEY = r"^[a-z][a-z0-9_]{1,39}$"


@dataclass(frozen=True)
class Param:
    """One query parameter: its name, JSON schema, whether it repeats, and what it means."""

    name: str
    schema: dict[str, Any]
    description: str
    repeats: bool = False

    def openapi(self) -> dict[str, Any]:
        """The parameter as an OpenAPI 3.0 parameter object."""
        schema = (
            {"type": "array", "items": self.schema, "maxItems": MAX_VALUES}
            if self.repeats
            else self.schema
        )
        found: dict[str, Any] = {
            "name": self.name,
            "in": "query",
            "required": False,
            "description": self.description,
            "schema": schema,
        }
        if self.repeats:
            found.update(style="form", explode=True)
        return found


def _enum(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": values}


FILTERS = (
    Param(
        "q",
        {"type": "string", "maxLength": MAX_QUERY_CHARS},
        'Words that must all occur; "a phrase" as written; word* for words it begins.',
    ),
    Param(
        "theme", {"type": "string", "pattern": THEME_KEY}, "Theme key; all must be present.", True
    ),
    Param("site", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "Site id.", True),
    Param("voice", _enum([v.value for v in Voice]), "Whose voice the story is told in.", True),
    Param("type", _enum([t.value for t in StoryType]), "The form the story takes.", True),
    Param("source", _enum(["audio", "text"]), "Told aloud (audio) or written (text).", True),
    Param("length", _enum([b.key for b in LENGTH_BANDS]), "Length band.", True),
    Param("from", {"type": "string", "format": "date"}, "Approved on or after (YYYY-MM-DD)."),
    Param("to", {"type": "string", "format": "date"}, "Approved on or before (YYYY-MM-DD)."),
)
PAGING = (
    Param("sort", _enum(list(SORTS)), "relevance (needs words; else newest), newest or oldest."),
    Param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page, from 1."),
    Param(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        f"Stories a page (default 20, at most {MAX_PER_PAGE}).",
    ),
)
SEARCH_PARAMS = FILTERS + PAGING


def _problem(param: Param, value: str) -> str | None:
    """Return what is wrong with one value, or None."""
    schema = param.schema
    if value == "":
        return f"Give a value for {param.name}, or leave it out."
    if schema["type"] == "integer":
        if not re.fullmatch(r"[0-9]{1,10}", value.strip()):
            return f"Give {param.name} as a whole number."
        if not schema["minimum"] <= int(value) <= schema["maximum"]:
            return f"Give {param.name} from {schema['minimum']} to {schema['maximum']}."
        return None
    if "enum" in schema and value not in schema["enum"]:
        return f"{param.name} is one of: {', '.join(schema['enum'])}."
    if "pattern" in schema and not re.match(schema["pattern"], value):
        return f"{param.name} is a key of lower-case letters, digits and underscores."
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"Use at most {schema['maxLength']} characters in {param.name}."
    if schema.get("format") == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return "Give dates as YYYY-MM-DD."
    if "\x00" in value:
        return f"{param.name} holds a character that cannot be searched for."
    return None


def check_args(args: MultiDict[str, str], params: tuple[Param, ...]) -> None:
    """Raise InvalidInput for an unknown parameter (a misspelt filter would otherwise be
    ignored, and answer for every story) or the first value the API does not accept."""
    known = {param.name for param in params}
    unknown = sorted(name for name in args if name not in known)
    if unknown:
        names = ", ".join(sorted(known)) or "none"
        name = unknown[0][:40]
        raise InvalidInput(f"Unknown parameter {name!r}; this takes: {names}.", name)
    for param in params:
        values = args.getlist(param.name)
        if param.name == "q":  # the one parameter an empty value fits: no words
            values = [v for v in values if v != ""]
        if len(values) > (MAX_VALUES if param.repeats else 1):
            raise InvalidInput(f"Give {param.name} at most {MAX_VALUES} times.", param.name)
        for value in values:
            problem = _problem(param, value)
            if problem:
                raise InvalidInput(problem, param.name)
