"""erase_story: what it removes, what it leaves, and that it can run again after a crash."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from storybank.core.audit import AuditEvent
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.extensions import db
from storybank.privacy import services as privacy
from storybank.privacy.models import StoryTombstone
from storybank.privacy.schema import EXEMPT_TABLES
from storybank.privacy.schema import per_story_tables
from storybank.stories.models import Story
from storybank.tag.models import StoryTheme
from storybank.tag.models import TaggerModel
from storybank.tag.services import decide_theme
from storybank.tag.services import train_tagger

TEXT = "Our reading circle at the library helped me settle after I moved flats last spring."


def _rows_of(story_id: int) -> dict[str, int]:
    counts = {}
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == "stories":
                query = db.select(db.func.count()).select_from(table).where(key.parent == story_id)
                counts[table.name] = db.session.scalar(query)
    return {name: count for name, count in counts.items() if count}


def test_every_table_is_erased_per_story_or_exempt_with_a_reason(app_context):
    tables = set(inspect(db.engine).get_table_names())
    erased = per_story_tables()
    forgotten = sorted(tables - set(erased) - set(EXEMPT_TABLES))
    assert not forgotten, f"say how erasure handles {forgotten} (storybank/privacy/schema.py)"
    assert not set(erased) & set(EXEMPT_TABLES)
    assert all(reason.strip() for reason in EXEMPT_TABLES.values())
    assert {"story_texts", "story_audio", "redactions", "story_themes", "jobs"} <= set(erased)


def test_erasing_leaves_only_a_tombstone_and_an_audit_event(factories):
    reporter, admin = factories.user("reporter"), factories.user("admin")
    story = factories.story(reporter, status="in_review", text=TEXT)
    story_id, created = story.id, story.created_at
    assert _rows_of(story_id)

    tombstone = privacy.erase_story(admin, story_id)

    assert db.session.get(Story, story_id) is None
    assert _rows_of(story_id) == {}
    assert (tombstone.story_id, tombstone.erased_by_id) == (story_id, admin.id)
    assert tombstone.story_created_at == created and tombstone.erased_at is not None
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "story_erased")
    ).all()
    assert [(e.target_id, e.actor_id) for e in events] == [(story_id, admin.id)]


def test_erasing_again_is_harmless_and_writes_one_event(factories):
    reporter, admin = factories.user("reporter"), factories.user("admin")
    story_id = factories.story(reporter, text=TEXT).id
    first = privacy.erase_story(admin, story_id)
    again = privacy.erase_story(admin, story_id)
    assert again.id == first.id
    count = db.select(db.func.count()).where(AuditEvent.action == "story_erased")
    assert db.session.scalar(count) == 1


def test_a_crash_halfway_is_finished_by_running_erasure_again(factories, monkeypatch):
    reporter, admin = factories.user("reporter"), factories.user("admin")
    story_id = factories.story(reporter, status="approved", text=TEXT).id

    def crash(_story_id: int) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(privacy, "delete_story_rows", crash)
    with pytest.raises(RuntimeError):
        privacy.erase_story(admin, story_id)
    db.session.rollback()
    story = db.session.get(Story, story_id)
    assert story.status == "withdrawn"  # already out of every list
    tombstone = db.session.scalar(db.select(StoryTombstone))
    assert tombstone.erased_at is None

    monkeypatch.undo()
    privacy.erase_story(admin, story_id)
    assert db.session.get(Story, story_id) is None
    assert db.session.scalar(db.select(StoryTombstone)).erased_at is not None


def test_a_model_trained_on_the_storys_decisions_is_marked_for_retraining(factories):
    reporter, admin = factories.user("reporter"), factories.user("admin")
    story = factories.story(reporter, status="in_review", text=TEXT)
    key = db.session.scalar(db.select(StoryTheme.theme_key).where(StoryTheme.story_id == story.id))
    decide_theme(admin, story.id, key, True)
    train_tagger(admin)
    trained = db.session.scalars(db.select(TaggerModel)).all()
    assert any(m.trained_on.get("source") == "decisions" for m in trained)

    privacy.erase_story(admin, story.id)

    for model in db.session.scalars(db.select(TaggerModel)):
        assert model.needs_retraining == (model.trained_on.get("source") == "decisions")
    assert db.session.scalar(db.select(db.func.count()).select_from(StoryTheme)) == 0


def test_only_an_admin_erases_directly_and_an_unseen_story_stays_unseen(factories):
    reporter, other = factories.user("reporter"), factories.user("reporter")
    story_id = factories.story(reporter, text=TEXT).id
    with pytest.raises(NotAllowed):
        privacy.erase_story(reporter, story_id)
    with pytest.raises(NotFound):
        privacy.erase_story(other, story_id)
    with pytest.raises(NotFound):
        privacy.withdraw_consent(other, story_id, confirmed=True)
    assert db.session.get(Story, story_id) is not None
