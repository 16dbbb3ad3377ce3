"""Factories that make users, sites and stories through the real services."""

from __future__ import annotations

import itertools
import secrets
from datetime import date

from flask import Flask

from storybank.accounts.models import User
from storybank.accounts.services import create_user
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import Redaction
from storybank.core.db import utcnow
from storybank.extensions import db
from storybank.stories.models import Site
from storybank.stories.models import Story
from storybank.stories.services import ConsentAnswers
from storybank.stories.services import StoryDraft
from storybank.stories.services import create_site
from storybank.stories.services import submit_story

_counter = itertools.count(1)

SAMPLE_TEXT = (
    "When I came out my officer wanted to hear my own ideas for the plan, not list rules. "
    "We used the enabling fund for a bike so I could get to work."
)


class Factories:
    """Make things for tests: `factories.user("reporter")`, `factories.story(reporter)`."""

    PASSWORD = "correct horse battery staple"

    def __init__(self, app: Flask) -> None:
        self.app = app

    def user(self, role: str, email: str | None = None) -> User:
        number = next(_counter)
        return create_user(
            None,
            email=email or f"{role}{number}@example.org",
            role=role,
            password=self.PASSWORD,
            display_name=f"{role.capitalize()} {number}",
        )

    def site(self, name: str | None = None) -> Site:
        return create_site(None, name or f"Site {next(_counter)}")

    def consent(self, **overrides: object) -> ConsentAnswers:
        answers = {
            "processing": True,
            "events": True,
            "research": True,
            "audio_at_events": False,
            "given_on": date.today(),
        }
        answers.update(overrides)
        return ConsentAnswers(**answers)  # type: ignore[arg-type]

    def draft(self, site: Site | None = None, **overrides: object) -> StoryDraft:
        site = site or db.session.scalar(db.select(Site).limit(1)) or self.site()
        fields: dict[str, object] = {
            "title": "A bike for work",
            "story_type": "personal",
            "voice": "person_on_probation",
            "site_id": site.id,
            "storyteller_pseudonym": "Robin",
            "consent": self.consent(),
            "submission_key": secrets.token_urlsafe(16),
            "text": SAMPLE_TEXT,
        }
        fields.update(overrides)
        return StoryDraft(**fields)  # type: ignore[arg-type]

    def story(
        self,
        reporter: User,
        status: str | None = None,
        signed_off: bool = True,
        **overrides: object,
    ) -> Story:
        """Submit a story through the real service, then optionally force a status.

        Its proposed redactions are signed off as they stand unless `signed_off` is False, so
        that tests about other things can approve it.
        """
        story = submit_story(reporter, self.draft(**overrides))
        if signed_off:
            self.sign_off(story)
        if status is not None:
            db.session.refresh(story)
            story.status = status
            db.session.commit()
        db.session.refresh(story)
        return story

    def sign_off(self, story: Story) -> None:
        """Mark the story's anonymisation signed off (what a reviewer's sign-off records)."""
        anonymisation = db.session.scalar(
            db.select(Anonymisation).where(Anonymisation.story_id == story.id)
        )
        if anonymisation is None:
            return
        for redaction in db.session.scalars(
            db.select(Redaction).where(Redaction.story_id == story.id)
        ):
            if redaction.status == "proposed":
                redaction.status = "accepted"
        anonymisation.signed_off_at = utcnow()
        db.session.commit()
