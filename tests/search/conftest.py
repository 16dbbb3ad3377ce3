"""Helpers for search tests: stories approved through the real services."""

from __future__ import annotations

import pytest

from storybank.extensions import db
from storybank.stories.models import Story
from storybank.stories.services import approve_story
from storybank.tag.services import decide_theme


@pytest.fixture
def publish(factories):
    """Return a function that approves a story through the services, with chosen themes."""
    admin = factories.user("admin")
    reporter = factories.user("reporter")

    def make(text: str, themes: tuple[str, ...] = (), **fields: object) -> Story:
        story = factories.story(reporter, status="in_review", text=text, **fields)
        for key in ("trust", "choice", "community"):
            decide_theme(admin, story.id, key, key in themes)
        approve_story(admin, story.id)
        db.session.refresh(story)
        return story

    make.admin = admin  # type: ignore[attr-defined]
    make.reporter = reporter  # type: ignore[attr-defined]
    return make
