"""The OpenAPI 3.0 document of the research API, built from the same parameter definitions
that the API checks requests against, so that the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from storybank.api import params
from storybank.core.ids import PUBLIC_ID_PATTERN
from storybank.search.facets import DIMENSIONS
from storybank.search.query import SORTS
from storybank.stories.models import StoryType
from storybank.stories.models import Voice

Json = dict[str, Any]

_STRING = {"type": "string"}
_INT = {"type": "integer"}
_NULLABLE_INT = {"type": "integer", "nullable": True}
_PUBLIC_ID = {
    "type": "string",
    "pattern": f"^{PUBLIC_ID_PATTERN}$",
    "description": "The story's public id: opaque, the same in every answer and page URL.",
}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: Json, required: list[str] | None = None) -> Json:
    """A closed object: a field the document does not name (a title, say) is a violation."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def _array(items: Json) -> Json:
    return {"type": "array", "items": items}


def _query() -> Json:
    """The search as the API read it (`query_to_dict`)."""
    lists = ("themes", "voices", "story_types", "sources", "lengths")
    date = {"type": "string", "format": "date", "nullable": True}
    return _object(
        {
            "q": _STRING,
            **{name: _array(_STRING) for name in lists},
            "sites": _array(_INT),
            "from": date,
            "to": date,
            "sort": {"type": "string", "enum": list(SORTS)},
        }
    )


def _story_schemas() -> Json:
    attributes = {
        "story_id": _PUBLIC_ID,
        "site": _object({"id": _INT, "name": _STRING}),
        "voice": {"type": "string", "enum": [v.value for v in Voice]},
        "story_type": {"type": "string", "enum": [t.value for t in StoryType]},
        "source": {"type": "string", "enum": ["audio", "text"]},
        "approved_on": {"type": "string", "format": "date"},
        "word_count": _INT,
        "themes": _array(_ref("ThemeRef")),
    }
    span = {**_array(_INT), "minItems": 2, "maxItems": 2}
    facet = {"value": _STRING, "label": _STRING, "count": _INT, "selected": {"type": "boolean"}}
    return {
        "ThemeRef": _object({"key": _STRING, "name": _STRING}),
        "SearchHit": _object(
            {
                **attributes,
                "snippet": {"type": "string", "description": "Plain anonymised text."},
                "highlights": {
                    **_array(span),
                    "description": "[start, end) character offsets of matches in the snippet.",
                },
            }
        ),
        "SearchResults": _object(
            {
                "query": _query(),
                "total": _INT,
                "page": _INT,
                "per_page": _INT,
                "pages": _INT,
                "ranked_within": _NULLABLE_INT,
                "results": _array(_ref("SearchHit")),
                "facets": _object({name: _array(_ref("FacetCount")) for name in DIMENSIONS}),
            }
        ),
        "FacetCount": _object(facet),
        "Story": _object({**attributes, "text": {"type": "string", "description": "Anonymised."}}),
    }


def _schemas() -> Json:
    shown = {"count": _NULLABLE_INT, "label": _STRING}
    small = 'A count; null, with the label "fewer than N", when it is small.'
    theme = {"key": _STRING, "name": _STRING, "definition": _STRING, "indicators": _array(_STRING)}
    error = {"status": _INT, "message": _STRING, "field": {"type": "string", "nullable": True}}
    return {
        **_story_schemas(),
        "Error": _object({"error": _object(error, required=["status", "message"])}),
        "Codebook": _object({"version": _INT, "themes": _array(_object(theme))}),
        "ShownCount": {**_object(shown), "description": small},
        "ThemeCounts": _object(
            {
                "query": _query(),
                "threshold": _INT,
                "total": _ref("ShownCount"),
                "themes": _array(
                    {**_object({"key": _STRING, "name": _STRING, **shown}), "description": small}
                ),
            }
        ),
    }


def _error(description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _responses(schema: str, *errors: str) -> Json:
    answers = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": _ref(schema)}},
        },
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "429": {"$ref": "#/components/responses/TooManyRequests"},
    }
    for status in errors:
        answers[status] = {"$ref": f"#/components/responses/{_ERROR_NAMES[status]}"}
    return answers


_ERROR_NAMES = {"400": "BadRequest", "404": "NotFound"}


def _operation(summary: str, schema: str, parameters: list[Json], *errors: str) -> Json:
    return {
        "get": {
            "summary": summary,
            "operationId": schema[0].lower() + schema[1:],
            "parameters": parameters,
            "responses": _responses(schema, *errors),
        }
    }


def _paths() -> Json:
    story_id = {"name": "story_id", "in": "path", "required": True, "schema": _PUBLIC_ID}
    return {
        "/stories": _operation(
            "Search approved stories whose consent allows research",
            "SearchResults",
            [param.openapi() for param in params.SEARCH_PARAMS],
            "400",
        ),
        "/stories/{story_id}": _operation(
            "One story's anonymised text, attributes and confirmed themes",
            "Story",
            [story_id],
            "404",
        ),
        "/codebook": _operation("The current codebook", "Codebook", []),
        "/openapi.json": {
            "get": {
                "summary": "This document (needs no token)",
                "operationId": "openapi",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "429": {"$ref": "#/components/responses/TooManyRequests"},
                },
            }
        },
        "/themes/counts": _operation(
            "Stories per theme for the filters, small counts suppressed",
            "ThemeCounts",
            [param.openapi() for param in params.FILTERS],
            "400",
        ),
    }


def openapi_document() -> Json:
    """Return the OpenAPI 3.0 document of the research API."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Storybank research API",
            "version": "1.0.0",
            "description": "Read-only access to approved, anonymised stories whose current "
            "consent allows research. Create a token on your API tokens page and send it as "
            "Authorization: Bearer <token>.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "sb_…"}
            },
            "schemas": _schemas(),
            "responses": {
                "BadRequest": _error("A parameter was not accepted; the message says why."),
                "Unauthorized": {
                    **_error("The token is missing, malformed, unknown, expired or revoked."),
                    "headers": {"WWW-Authenticate": {"schema": _STRING}},
                },
                "Forbidden": _error("The token's owner may not use the research API."),
                "NotFound": _error("No such story in the research index."),
                "TooManyRequests": _error("This token has made too many requests; wait."),
            },
        },
    }
