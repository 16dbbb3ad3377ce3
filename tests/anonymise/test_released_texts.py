"""released_texts: many stories' released texts at once, exactly as one at a time."""

from __future__ import annotations

from storybank.anonymise.services import released_text
from storybank.anonymise.services import released_texts
from storybank.extensions import db

NAMED = "Rosalind Okafor drove me to the clinic on Wednesday because the bus had stopped."
PLACED = "We met at Birmingham New Street and Dev Patel from the hostel bought the tea."


def test_a_batch_gives_each_signed_off_story_what_one_at_a_time_gives(factories):
    reporter = factories.user("reporter")
    stories = [factories.story(reporter, text=text) for text in (NAMED, PLACED)]
    waiting = factories.story(reporter, text=NAMED, signed_off=False)
    batch = released_texts([*stories, waiting])
    assert set(batch) == {story.id for story in stories}  # not signed off: nothing released
    for story in stories:
        single = released_text(story)
        assert single is not None and batch[story.id] == single
        assert batch[story.id].placeholders  # the names were found and replaced
        assert "Rosalind" not in batch[story.id].text and "Dev Patel" not in batch[story.id].text


def test_a_newer_unsigned_version_releases_nothing(factories):
    reporter = factories.user("reporter")
    story = factories.story(reporter, text=NAMED)
    story.texts.append(
        type(story.current_text)(version=2, origin="edited", body=PLACED, sha256="0" * 64)
    )
    db.session.commit()
    assert released_texts([story]) == {} and released_text(story) is None
