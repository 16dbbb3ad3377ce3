"""The OpenAPI 3.0 document of the research API, built from the same parameter definitions
that the API checks requests against, so that the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from storybank.api import params

Json = dict[str, Any]

_STRING = {"type": "string"}
_INT = {"type": "integer"}
_NULLABLE_INT = {"type": "integer", "nullable": True}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: Json, required: list[str] | None = None) -> Json:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def _schemas() -> Json:
    theme = _object({"key": _STRING, "name": _STRING})
    attributes = {
        "story_id": _INT,
        "site": _object({"id": _INT, "name": _STRING}),
        "voice": _STRING,
        "story_type": _STRING,
        "source": {"type": "string", "enum": ["audio", "text"]},
        "approved_on": {"type": "string", "format": "date"},
        "word_count": _INT,
        "themes": {"type": "array", "items": _ref("ThemeRef")},
    }
    span = {"type": "array", "items": _INT, "minItems": 2, "maxItems": 2}
    shown = _object(
        {"count": _NULLABLE_INT, "label": _STRING},
    )
    shown["description"] = 'A count; null with the label "fewer than N" when it is small.'
    facet = _object(
        {"value": _STRING, "label": _STRING, "count": _INT, "selected": {"type": "boolean"}}
    )
    query = {"type": "object", "additionalProperties": True}
    return {
        "Error": _object(
            {
                "error": _object(
                    {
                        "status": _INT,
                        "message": _STRING,
                        "field": {"type": "string", "nullable": True},
                    },
                    required=["status", "message"],
                )
            }
        ),
        "ThemeRef": theme,
        "SearchHit": _object(
            {
                **attributes,
                "snippet": {"type": "string", "description": "Plain anonymised text."},
                "highlights": {
                    "type": "array",
                    "items": span,
                    "description": "[start, end) character offsets of matches in the snippet.",
                },
            }
        ),
        "SearchResults": _object(
            {
                "query": query,
                "total": _INT,
                "page": _INT,
                "per_page": _INT,
                "pages": _INT,
                "ranked_within": _NULLABLE_INT,
                "results": {"type": "array", "items": _ref("SearchHit")},
                "facets": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": _ref("FacetCount")},
                },
            }
        ),
        "FacetCount": facet,
        "Story": _object({**attributes, "text": {"type": "string", "description": "Anonymised."}}),
        "Codebook": _object(
            {
                "version": _INT,
                "themes": {
                    "type": "array",
                    "items": _object(
                        {
                            "key": _STRING,
                            "name": _STRING,
                            "definition": _STRING,
                            "indicators": {"type": "array", "items": _STRING},
                        }
                    ),
                },
            }
        ),
        "ShownCount": shown,
        "ThemeCounts": _object(
            {
                "query": query,
                "threshold": _INT,
                "total": _ref("ShownCount"),
                "themes": {
                    "type": "array",
                    "items": {
                        "allOf": [_ref("ShownCount"), _object({"key": _STRING, "name": _STRING})]
                    },
                },
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
    story_id = {
        "name": "story_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": params.MAX_ID},
    }
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
