"""`storybank tag train` learns from reviewers' decisions: afterwards the tag stage gets strictly
more of a held-out set right (the real tagger, trained through the app)."""

from __future__ import annotations

from storybank.cli import main
from storybank.extensions import db
from storybank.tag.models import StoryTheme
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories
from tests.tag.test_engine import CORRECTIONS
from tests.tag.test_engine import HELD_OUT


def _suggested(story_id: int, key: str) -> bool:
    row = db.session.scalar(
        db.select(StoryTheme).where(StoryTheme.story_id == story_id, StoryTheme.theme_key == key)
    )
    return bool(row and row.suggested)


def _held_out_right(factories: Factories, reporter) -> int:
    right = 0
    for text, key, present in HELD_OUT:
        story = factories.story(reporter, text=text)
        right += _suggested(story.id, key) == present
    return right


def test_training_on_decisions_gets_more_of_a_held_out_set_right(app, factories, runner):
    reporter, facilitator = factories.user("reporter"), factories.user("facilitator")
    before = _held_out_right(factories, reporter)
    assert before < len(HELD_OUT)

    client = app.test_client()
    login(client, facilitator.email)
    for example in CORRECTIONS:
        story = factories.story(reporter, text=example.text)
        decision = "confirm" if example.present else "reject"
        post_form(client, f"/stories/{public_id(story.id)}/themes/{example.theme}/{decision}")

    result = runner.invoke(main, ["tag", "train"])
    assert result.exit_code == 0, result.output
    assert f"Trained on {len(CORRECTIONS)} decision(s)" in result.output

    after = _held_out_right(factories, reporter)
    assert after > before
