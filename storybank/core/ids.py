"""Row ids in URLs and forms: a number the database cannot hold is not found, never an overflow."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter
from werkzeug.routing import Map

# Ids are SQLAlchemy Integer columns: 32-bit on PostgreSQL, the range both databases share.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`int` in every route: at most MAX_ROW_ID, so a huge id is a 404 rather than an overflow."""

    def __init__(self, map: Map, *args: Any, max: int | None = None, **kwargs: Any) -> None:
        limit = MAX_ROW_ID if max is None else min(max, MAX_ROW_ID)
        super().__init__(map, *args, max=limit, **kwargs)


def row_id(value: object) -> int | None:
    """Coerce a form's chosen id: an id the database cannot hold is None, as if none was chosen.

    A value that is not a number raises ValueError, which WTForms reports on the field.
    """
    number = int(value)  # type: ignore[call-overload]
    return number if 0 < number <= MAX_ROW_ID else None
