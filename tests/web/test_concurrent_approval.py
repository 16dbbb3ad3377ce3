"""Reviewers clicking at once: one approval wins, the others are told, one audit event."""

from __future__ import annotations

import threading

import pytest

from storybank.accounts.models import User
from storybank.core.audit import AuditEvent
from storybank.core.errors import Conflict
from storybank.extensions import db
from storybank.stories import services
from storybank.stories.models import Story

STORY = "The housing officer rang back twice, and on the second call she had a flat for me."


def race(app, monkeypatch, reviewer_ids: list[int], act) -> list[str]:
    """Run `act(reviewer, story_id)` in a thread per reviewer, all past their checks at once."""
    barrier = threading.Barrier(len(reviewer_ids), timeout=20)
    checked = services.require_storyteller_check

    def check_then_wait(story: Story) -> None:
        checked(story)
        barrier.wait()

    monkeypatch.setattr(services, "require_storyteller_check", check_then_wait)
    outcomes: list[str] = []

    def review(reviewer_id: int) -> None:
        with app.app_context():
            try:
                act(db.session.get(User, reviewer_id))
                outcomes.append("done")
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=review, args=(rid,)) for rid in reviewer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def events(story_id: int, action: str) -> int:
    return db.session.scalar(
        db.select(db.func.count(AuditEvent.id)).where(
            AuditEvent.action == action, AuditEvent.target_id == story_id
        )
    )


@pytest.fixture
def story_in_review(app, factories):
    app.config["STORYTELLER_CHECK"] = "optional"
    story = factories.story(factories.user("reporter"), status="in_review", text=STORY)
    reviewers = [factories.user("facilitator").id for _ in range(2)] + [factories.user("admin").id]
    return story.id, reviewers


def test_three_concurrent_approvals_write_one_approval_event(app, monkeypatch, story_in_review):
    story_id, reviewers = story_in_review
    outcomes = race(
        app, monkeypatch, reviewers, lambda user: services.approve_story(user, story_id)
    )
    assert outcomes == ["conflict", "conflict", "done"]
    db.session.expire_all()
    assert db.session.get(Story, story_id).status == "approved"
    assert events(story_id, "story_approved") == 1


def test_an_approval_racing_a_return_leaves_one_outcome_and_one_event(
    app, monkeypatch, story_in_review
):
    story_id, (first, second, _) = story_in_review

    def approve_or_return(user: User) -> None:
        if user.id == first:
            services.approve_story(user, story_id)
        else:
            services.require_storyteller_check(db.session.get(Story, story_id))
            services.return_story(user, story_id, "Please check the date in paragraph two.")

    outcomes = race(app, monkeypatch, [first, second], approve_or_return)
    assert outcomes == ["conflict", "done"]
    db.session.expire_all()
    status = db.session.get(Story, story_id).status
    approved, returned = events(story_id, "story_approved"), events(story_id, "story_returned")
    assert (status, approved, returned) in {("approved", 1, 0), ("returned", 0, 1)}
