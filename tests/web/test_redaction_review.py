"""Anonymisation in the app: proposals, review decisions, sign-off, fail-closed release, lists.

A fake detector keeps these tests about the workflow; tests/anonymise runs the real one.
"""

from __future__ import annotations

import re

import pytest

from storybank.anonymise.engine import Detection
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import Redaction
from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories

STORY = "Me and Dave went down Quarry Lane. Ring me on 07700 900318, says Dave."


class FakeAnonymiser:
    """Finds the story's identifiers by their words; remembers what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, object]] = []
        self.fail = False

    def detect(self, text, known_names=(), lists=None):
        self.calls.append((text, tuple(known_names), lists))
        if self.fail:
            raise RuntimeError("spaCy fell over: Dave Quarry Lane")
        found = []
        for word, label, confidence in (
            ("Dave", "PERSON", 0.95),
            ("Quarry Lane", "LOCATION", 0.4),
            ("07700 900318", "PHONE", 0.99),
        ):
            for match in re.finditer(re.escape(word), text):
                found.append(Detection(match.start(), match.end(), label, "ner", confidence, word))
        return sorted(found, key=lambda d: d.start)


@pytest.fixture
def anonymiser() -> FakeAnonymiser:
    return FakeAnonymiser()


@pytest.fixture
def world(make_app, anonymiser):
    app = make_app(ANONYMISER_FACTORY=lambda: anonymiser)
    with app.app_context():
        factories = Factories(app)
        people = {
            role: factories.user(role)
            for role in ("reporter", "facilitator", "researcher", "admin")
        }
        factories.site()
        yield app, factories, people


def _client(app, user):
    client = app.test_client()
    response = login(client, user.email)
    assert response.status_code == 302
    return client


def _story(factories, people, **overrides) -> Story:
    return factories.story(people["reporter"], signed_off=False, text=STORY, **overrides)


def test_the_anonymise_stage_proposes_redactions_and_waits_for_review(world, anonymiser):
    _app, factories, people = world
    story = _story(factories, people)
    assert story.status == "in_review"
    redactions = db.session.scalars(db.select(Redaction).order_by(Redaction.start)).all()
    assert [(STORY[r.start : r.end], r.label, r.status) for r in redactions] == [
        ("Dave", "PERSON", "proposed"),
        ("Quarry Lane", "LOCATION", "proposed"),
        ("07700 900318", "PHONE", "proposed"),
        ("Dave", "PERSON", "proposed"),
    ]
    assert redactions[0].source == "ner" and redactions[0].confidence == 0.95
    # The reporter's name is known to the story, and so is passed to the detector.
    assert people["reporter"].display_name in anonymiser.calls[0][1]


def test_nothing_is_released_before_sign_off(world):
    app, factories, people = world
    story = _story(factories, people)
    facilitator = _client(app, people["facilitator"])
    assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 409
    assert story.status == "in_review"
    researcher = _client(app, people["researcher"])
    assert researcher.get(f"/stories/{public_id(story.id)}").status_code == 404


def test_reviewer_sees_unsure_redactions_first_and_decides_each(world):
    app, factories, people = world
    story = _story(factories, people)
    facilitator = _client(app, people["facilitator"])
    page = facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    listing = page[page.index("Each redaction") :]
    assert listing.index("Quarry Lane") < listing.index("Dave")  # 0.4 confidence: unsure
    assert "[PERSON 1]" in page and "[PLACE 1]" in page and "[PHONE]" in page
    first_dave, road = db.session.scalars(db.select(Redaction).order_by(Redaction.start)).all()[:2]
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/{road.id}/reject")
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/{first_dave.id}/accept")
    assert (road.status, first_dave.status) == ("rejected", "accepted")
    assert road.decided_by_id == people["facilitator"].id
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent))]
    assert "redaction_rejected" in actions and "redaction_accepted" in actions


def test_reviewer_adds_a_redaction_by_selection_and_by_phrase(world):
    app, factories, people = world
    story = _story(factories, people, title="Ring me")
    facilitator = _client(app, people["facilitator"])
    start = STORY.index("Ring me")
    response = post_form(
        facilitator,
        f"/review/{public_id(story.id)}/redactions/add",
        {"start": start, "end": start + len("Ring"), "label": "PERSON", "phrase": ""},
    )
    assert response.status_code == 302
    added = db.session.scalar(db.select(Redaction).where(Redaction.source == "reviewer"))
    assert (STORY[added.start : added.end], added.status) == ("Ring", "accepted")
    post_form(
        facilitator,
        f"/review/{public_id(story.id)}/redactions/add",
        {"phrase": "says", "label": "ORG"},
    )
    labels = {STORY[r.start : r.end]: r.label for r in db.session.scalars(db.select(Redaction))}
    assert labels["says"] == "ORG"


def test_sign_off_releases_the_derived_text_and_never_the_names(world):
    app, factories, people = world
    story = _story(factories, people)
    facilitator = _client(app, people["facilitator"])
    road = db.session.scalars(db.select(Redaction).order_by(Redaction.start)).all()[1]
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/{road.id}/reject")
    assert (
        post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off").status_code
        == 302
    )
    assert db.session.scalar(db.select(Anonymisation)).signed_off_at is not None
    assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 302
    researcher = _client(app, people["researcher"])
    page = researcher.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)
    assert "Me and [PERSON 1] went down Quarry Lane. Ring me on [PHONE], says [PERSON 1]." in page
    assert "Dave" not in page and "07700" not in page


def test_a_correction_after_sign_off_needs_a_new_sign_off_and_keeps_rejections(world, anonymiser):
    app, factories, people = world
    story = _story(factories, people)
    facilitator = _client(app, people["facilitator"])
    road = db.session.scalars(db.select(Redaction).order_by(Redaction.start)).all()[1]
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/{road.id}/reject")
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    response = post_form(
        facilitator, f"/stories/{public_id(story.id)}/transcript", {"text": STORY + " Then home."}
    )
    assert response.status_code in (302, 404)  # text stories correct through resubmission
    reporter = _client(app, people["reporter"])
    post_form(facilitator, f"/review/{public_id(story.id)}/return", {"note": "add the ending"})
    post_form(reporter, f"/stories/{public_id(story.id)}/resubmit", {"text": STORY + " Then home."})
    assert story.status == "in_review"
    anonymisation = db.session.scalar(db.select(Anonymisation))
    assert anonymisation.signed_off_at is None
    assert anonymisation.text_version_id == story.current_text.id
    statuses = {
        story.current_text.body[r.start : r.end]: r.status
        for r in db.session.scalars(
            db.select(Redaction).where(Redaction.text_version_id == story.current_text.id)
        )
    }
    assert statuses["Quarry Lane"] == "rejected"  # the reviewer's decision carried over
    assert statuses["Dave"] == "proposed"
    assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 409


def test_a_failing_anonymiser_keeps_the_story_unreleased_and_says_why(world, anonymiser):
    app, factories, people = world
    anonymiser.fail = True
    story = _story(factories, people)
    assert story.status == "failed"
    assert story.failed_stage == "anonymise"
    assert "nothing from this story is released" in story.failure_reason
    assert "Dave" not in story.failure_reason
    assert db.session.scalar(db.select(Redaction)) is None
    facilitator = _client(app, people["facilitator"])
    assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 404
    anonymiser.fail = False
    reporter = _client(app, people["reporter"])
    assert post_form(reporter, f"/stories/{public_id(story.id)}/retry").status_code == 302
    assert story.status == "in_review"


def test_admins_keep_identifier_lists_that_reach_the_detector(world, anonymiser):
    app, factories, people = world
    admin = _client(app, people["admin"])
    response = post_form(
        admin, "/admin/identifier-lists", {"kind": "place", "value": "Quarry Bottoms"}
    )
    assert response.status_code == 302
    post_form(admin, "/admin/identifier-lists", {"kind": "keep", "value": "the Bridge project"})
    post_form(admin, "/admin/identifier-lists", {"kind": "name", "value": "Tuppence"})
    _story(factories, people)
    lists = anonymiser.calls[-1][2]
    assert lists.places == ("Quarry Bottoms",)
    assert lists.keep == ("the Bridge project",)
    assert lists.names == ("Tuppence",)
    facilitator = _client(app, people["facilitator"])
    assert facilitator.get("/admin/identifier-lists").status_code == 403
    assert (
        post_form(
            facilitator, "/admin/identifier-lists", {"kind": "place", "value": "X"}
        ).status_code
        == 403
    )


# --- Unsure candidates: hidden by default, marked, first ----------------------------------


def test_an_unsure_candidate_is_hidden_in_preview_and_release_unless_rejected(world):
    app, factories, people = world
    story = _story(factories, people)
    facilitator = _client(app, people["facilitator"])
    page = facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    # Quarry Lane (0.4) is unsure: marked in words, counted at the top, hidden in the preview.
    assert "<strong>1 unsure</strong> redaction" in page
    item = page[page.index("Quarry Lane</strong>") :][:600]
    assert '<span class="flag-unsure">Unsure</span>' in item and "hidden unless you show it" in item
    preview = page[page.index("What others will read") :]
    assert "Quarry Lane" not in preview and "[PLACE 1]" in preview
    # Signing off without a decision releases it hidden (recall first).
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    released = _client(app, people["researcher"]).get(f"/stories/{public_id(story.id)}")
    assert "went down [PLACE 1]." in released.get_data(as_text=True)


# --- Relabelling --------------------------------------------------------------------------

CLUB_STORY = "Mo Farrow ran the Anchor Club. Later Mo Farrow rang Dave, and the Anchor Club shut."


class LabelMixer:
    """Finds a full name wrongly as an organisation, beside a real organisation and a person."""

    def detect(self, text, known_names=(), lists=None):
        found = []
        for words, label in (("Mo Farrow", "ORG"), ("Anchor Club", "ORG"), ("Dave", "PERSON")):
            for match in re.finditer(re.escape(words), text):
                found.append(Detection(match.start(), match.end(), label, "ner", 0.8, words))
        return sorted(found, key=lambda d: d.start)


@pytest.fixture
def mixed_world(make_app):
    app = make_app(ANONYMISER_FACTORY=LabelMixer)
    with app.app_context():
        factories = Factories(app)
        people = {role: factories.user(role) for role in ("reporter", "facilitator", "researcher")}
        factories.site()
        yield app, factories, people


def _preview(client, story) -> str:
    page = client.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    start = page.index('<div class="story-text">', page.index("What others will read"))
    return page[start + len('<div class="story-text">') : page.index("</div>", start)]


def test_relabelling_a_name_found_as_an_organisation_renumbers_the_placeholders(mixed_world):
    app, factories, people = mixed_world
    story = factories.story(people["reporter"], signed_off=False, text=CLUB_STORY)
    facilitator = _client(app, people["facilitator"])
    assert _preview(facilitator, story) == (
        "[ORG 1] ran the [ORG 2]. Later [ORG 1] rang [PERSON 1], and the [ORG 2] shut."
    )
    first = db.session.scalars(db.select(Redaction).order_by(Redaction.start)).first()
    response = post_form(
        facilitator,
        f"/review/{public_id(story.id)}/redactions/{first.id}/label",
        {"label": "PERSON"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#r{first.id}")
    # Both mentions follow, so one person keeps one number; the numbers stay in story order.
    assert _preview(facilitator, story) == (
        "[PERSON 1] ran the [ORG 1]. Later [PERSON 1] rang [PERSON 2], and the [ORG 1] shut."
    )
    labels = {
        (CLUB_STORY[r.start : r.end], r.start): (r.label, r.detected_label, r.status)
        for r in db.session.scalars(db.select(Redaction))
    }
    assert labels[("Mo Farrow", 0)] == ("PERSON", "ORG", "accepted")
    assert labels[("Mo Farrow", CLUB_STORY.rindex("Mo Farrow"))] == ("PERSON", "ORG", "proposed")
    page = facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    assert "Person (found as Organisation)" in page
    event = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "redaction_relabelled"
    assert event.details == {
        "redaction": str(first.id),
        "label": "PERSON",
        "what": "from ORG",
        "count": "2",
    }
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    released = _client(app, people["researcher"]).get(f"/stories/{public_id(story.id)}")
    assert "[PERSON 1] ran the [ORG 1]. Later [PERSON 1] rang [PERSON 2]" in released.get_data(
        as_text=True
    )


def test_relabelling_undoes_the_sign_off_and_refuses_an_unknown_label(mixed_world):
    app, factories, people = mixed_world
    story = factories.story(people["reporter"], signed_off=False, text=CLUB_STORY)
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    club = db.session.scalars(db.select(Redaction).order_by(Redaction.start)).all()[1]
    url = f"/review/{public_id(story.id)}/redactions/{club.id}/label"
    post_form(facilitator, url, {"label": "NICKNAME"})
    assert club.label == "ORG"
    assert db.session.scalar(db.select(Anonymisation)).signed_off_at is not None
    page = facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    assert "Choose what kind of identifier it is." in page
    post_form(facilitator, url, {"label": "LOCATION"})
    assert club.label == "LOCATION"
    assert db.session.scalar(db.select(Anonymisation)).signed_off_at is None
    assert "the [PLACE 1] shut." in _preview(facilitator, story)


def test_a_relabel_carries_over_to_a_corrected_version(mixed_world):
    app, factories, people = mixed_world
    story = factories.story(people["reporter"], signed_off=False, text=CLUB_STORY)
    facilitator = _client(app, people["facilitator"])
    first = db.session.scalars(db.select(Redaction).order_by(Redaction.start)).first()
    post_form(
        facilitator,
        f"/review/{public_id(story.id)}/redactions/{first.id}/label",
        {"label": "PERSON"},
    )
    post_form(facilitator, f"/review/{public_id(story.id)}/return", {"note": "say when"})
    reporter = _client(app, people["reporter"])
    post_form(
        reporter,
        f"/stories/{public_id(story.id)}/resubmit",
        {"text": CLUB_STORY + " That was May."},
    )
    assert story.status == "in_review"
    assert _preview(facilitator, story).startswith("[PERSON 1] ran the [ORG 1]. Later [PERSON 1]")
