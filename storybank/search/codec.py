"""The facet codec for this database: enum orders, and theme keys in the order first defined."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from storybank.extensions import db
from storybank.search.query import FacetCodec
from storybank.stories.models import StoryType
from storybank.stories.models import Voice
from storybank.tag.models import ThemeDefinition


def facet_codec() -> FacetCodec:
    """Return the codec; a theme keeps its bit for good, because definitions are never deleted."""
    first_defined = (
        select(ThemeDefinition.key)
        .group_by(ThemeDefinition.key)
        .order_by(func.min(ThemeDefinition.id))
    )
    return FacetCodec(
        voices=tuple(str(voice.value) for voice in Voice),
        story_types=tuple(str(kind.value) for kind in StoryType),
        theme_keys=tuple(db.session.scalars(first_defined)),
    )
