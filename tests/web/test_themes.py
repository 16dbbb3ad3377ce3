"""Themes in the app: the tag stage, a reviewer's decisions, the versioned codebook and its
exports, agreement figures, and training from people's decisions."""

from __future__ import annotations

import csv
import io
from xml.etree import ElementTree

import pytest

from storybank.cli import main
from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.pipeline.models import Job
from storybank.tag import services as tag_services
from storybank.tag.engine import Evidence
from storybank.tag.engine import ThemeScore
from storybank.tag.models import CodebookVersion
from storybank.tag.models import StoryTheme
from storybank.tag.models import TaggerModel
from storybank.tag.services import Agreement
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories

STORY = (
    "She turned up at my mum's funeral. Nobody from probation had ever done that. "
    "I had no choice of bus, so I walked."
)


class FakeTagger:
    """Suggests trust from the funeral sentence; never choice or community."""

    def __init__(self, codebook) -> None:
        self.codebook = codebook

    def score(self, text):
        results = []
        for theme in self.codebook.themes:
            if theme.key == "trust" and "funeral" in text:
                end = text.index(".") + 1
                evidence = (Evidence(0, end, text[:end], 0.9),)
                results.append(ThemeScore("trust", 0.9, True, evidence))
            else:
                results.append(ThemeScore(theme.key, 0.1, False, ()))
        return results


@pytest.fixture
def world(make_app):
    app = make_app(TAGGER_FACTORY=FakeTagger)
    with app.app_context():
        factories = Factories(app)
        people = {r: factories.user(r) for r in ("reporter", "facilitator", "researcher", "admin")}
        factories.site()
        yield app, factories, people


def _client(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def test_the_tag_stage_scores_every_theme_with_evidence(world):
    _app, factories, people = world
    story = factories.story(people["reporter"], text=STORY)
    assert story.status == "in_review"
    rows = {
        row.theme_key: row
        for row in db.session.scalars(db.select(StoryTheme).where(StoryTheme.story_id == story.id))
    }
    assert set(rows) == {"trust", "choice", "community"}
    trust = rows["trust"]
    assert trust.suggested and trust.score == 0.9 and trust.decision is None
    assert STORY[trust.evidence[0]["start"] : trust.evidence[0]["end"]] == (
        "She turned up at my mum's funeral."
    )
    assert trust.codebook_version == db.session.scalar(db.select(CodebookVersion)).version
    assert not rows["choice"].suggested


def test_reviewer_sees_why_and_confirms_rejects_or_adds_themes(world):
    app, factories, people = world
    story = factories.story(people["reporter"], text=STORY)
    facilitator = _client(app, people["facilitator"])
    page = facilitator.get(f"/review/{public_id(story.id)}").get_data(as_text=True)
    assert "<q>She turned up at my mum&#39;s funeral.</q>" in page
    assert "Suggested" in page and "Add this theme" in page
    post_form(facilitator, f"/stories/{public_id(story.id)}/themes/trust/confirm")
    post_form(
        facilitator, f"/stories/{public_id(story.id)}/themes/community/confirm"
    )  # added by a person
    post_form(facilitator, f"/stories/{public_id(story.id)}/themes/choice/reject")
    decided = {
        row.theme_key: (row.suggested, row.decision)
        for row in db.session.scalars(db.select(StoryTheme))
    }
    assert decided == {
        "trust": (True, "confirmed"),
        "community": (False, "confirmed"),
        "choice": (False, "rejected"),
    }
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent))]
    assert actions.count("theme_confirmed") == 2 and actions.count("theme_rejected") == 1
    researcher = _client(app, people["researcher"])
    assert (
        post_form(researcher, f"/stories/{public_id(story.id)}/themes/trust/reject").status_code
        == 404
    )


def test_only_confirmed_themes_are_tags_and_evidence_reaches_researchers_anonymised(world):
    app, factories, people = world
    text = "Sunita Patel turned up at my mum's funeral. I trust her now."
    story = factories.story(people["reporter"], text=text)
    facilitator = _client(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/approve")
    researcher = _client(app, people["researcher"])
    library = researcher.get("/stories/library").get_data(as_text=True)
    assert "Themes:" not in library  # suggested, not confirmed: no tag yet
    post_form(facilitator, f"/stories/{public_id(story.id)}/themes/trust/confirm")
    library = researcher.get("/stories/library").get_data(as_text=True)
    assert "Themes: trust" in library
    page = researcher.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)
    assert "<q>[PERSON 1] turned up at my mum&#39;s funeral.</q>" in page
    assert "Sunita" not in page


def test_codebook_changes_make_new_versions_and_tags_keep_theirs(world):
    app, factories, people = world
    first = factories.story(people["reporter"], text=STORY)
    admin = _client(app, people["admin"])
    response = post_form(
        admin,
        "/admin/codebook",
        {
            "key": "housing",
            "name": "Housing",
            "definition": "Finding and keeping somewhere safe to live.",
            "indicators": "hostel\nflat\ntenancy",
            "positive_examples": "The council finally gave me a flat.",
            "negative_examples": "I housed my bike in the shed.",
        },
    )
    assert response.status_code == 302
    versions = db.session.scalars(db.select(CodebookVersion).order_by(CodebookVersion.version))
    assert [v.version for v in versions] == [1, 2]
    post_form(
        admin,
        "/admin/codebook",
        {"key": "community", "name": "Community", "definition": "Retired for now.", "retired": "y"},
    )
    current = tag_services.current_codebook()
    assert current.version == 3
    assert [t.key for t in current.themes if not t.retired] == ["trust", "choice", "housing"]
    second = factories.story(people["reporter"], text=STORY)
    keys = {
        row.theme_key: row.codebook_version
        for row in db.session.scalars(db.select(StoryTheme).where(StoryTheme.story_id == second.id))
    }
    assert keys == {"trust": 3, "choice": 3, "housing": 3}
    old = db.session.scalars(db.select(StoryTheme).where(StoryTheme.story_id == first.id)).all()
    assert {row.codebook_version for row in old} == {1}
    facilitator = _client(app, people["facilitator"])
    assert (
        post_form(
            facilitator, "/admin/codebook", {"key": "x1", "name": "X", "definition": "x"}
        ).status_code
        == 403
    )


def test_codebook_exports_as_csv_and_refi_qda(world):
    app, _factories, people = world
    researcher = _client(app, people["researcher"])
    rows = list(
        csv.DictReader(io.StringIO(researcher.get("/admin/codebook.csv").get_data(as_text=True)))
    )
    assert [row["key"] for row in rows] == ["trust", "choice", "community"]
    assert all(row["definition"] and row["codebook_version"] == "1" for row in rows)
    qdc = researcher.get("/admin/codebook.qdc")
    assert qdc.headers["Content-Disposition"].endswith(".qdc")
    root = ElementTree.fromstring(qdc.data)  # noqa: S314 - our own export, in a test
    namespace = "{urn:QDA-XML:codebook:1.0}"
    assert root.tag == f"{namespace}CodeBook"
    codes = root.findall(f"{namespace}Codes/{namespace}Code")
    assert [code.get("name") for code in codes] == ["Trust", "Choice", "Community"]
    assert all(len(code.get("guid")) == 36 and code.get("isCodable") == "true" for code in codes)
    assert codes[0].find(f"{namespace}Description").text
    reporter = _client(app, people["reporter"])
    assert reporter.get("/admin/codebook.qdc").status_code == 403


def test_agreement_gives_precision_recall_and_kappa_per_theme(world):
    app, factories, people = world
    facilitator = _client(app, people["facilitator"])
    decisions = [("trust", True), ("trust", True), ("trust", False), ("community", True)]
    for key, present in decisions:
        story = factories.story(people["reporter"], text=STORY)
        post_form(
            facilitator,
            f"/stories/{public_id(story.id)}/themes/{key}/{'confirm' if present else 'reject'}",
        )
    rows = {row.theme: row for row in tag_services.agreement(people["admin"])}
    trust = rows["trust"]
    # The tagger suggested trust all three times; people confirmed two.
    assert (trust.true_positive, trust.false_positive, trust.decided) == (2, 1, 3)
    assert trust.precision == pytest.approx(2 / 3) and trust.recall == 1.0
    community = rows["community"]
    assert (community.false_negative, community.recall) == (1, 0.0)
    page = _client(app, people["admin"]).get("/admin/themes/agreement").get_data(as_text=True)
    assert "0.67" in page
    assert facilitator.get("/admin/themes/agreement").status_code == 403


def test_cohens_kappa_matches_the_textbook_example():
    # 50 decisions: both yes 20, tagger yes/people no 5, tagger no/people yes 10, both no 15.
    row = Agreement("x", 50, 20, 5, 10, 15)
    assert row.kappa == pytest.approx(0.4)
    assert Agreement("x", 0, 0, 0, 0, 0).kappa is None


def _theme_rows(story_id: int) -> dict[str, StoryTheme]:
    query = db.select(StoryTheme).where(StoryTheme.story_id == story_id)
    return {row.theme_key: row for row in db.session.scalars(query)}


def test_the_default_model_is_stored_as_version_1_and_tags_record_it(world):
    _app, factories, people = world
    story = factories.story(people["reporter"], text=STORY)
    model = db.session.scalars(db.select(TaggerModel)).one()
    assert model.version == 1 and model.created_by_id is None and not model.needs_retraining
    assert model.trained_on["source"] == "bundled default"
    assert {f["file"] for f in model.trained_on["files"]} == {
        "samples/stories.jsonl",
        "devset/stories.jsonl",
    }
    assert set(model.weights["themes"]) == {"trust", "choice", "community"}
    assert {row.model_version for row in _theme_rows(story.id).values()} == {1}


@pytest.fixture
def real_world(make_app):
    app = make_app()  # the real tagger: MiniLM embeddings and the stored weights
    with app.app_context():
        factories = Factories(app)
        people = {r: factories.user(r) for r in ("reporter", "facilitator", "admin")}
        factories.site()
        yield app, factories, people


def test_a_retrain_from_decisions_is_a_new_version_that_later_tags_record(real_world):
    app, factories, people = real_world
    text = (
        "We keep the allotment going between the six of us. "
        "On Sundays we share out whatever has come up."
    )
    story = factories.story(people["reporter"], text=STORY)
    first = _theme_rows(story.id)
    assert first["trust"].model_version == 1
    for row in first.values():
        assert row.suggested == bool(row.evidence)  # every suggestion carries its evidence
        for evidence in row.evidence:
            assert 0 <= evidence["start"] < evidence["end"] <= len(STORY)
    facilitator = _client(app, people["facilitator"])
    for _ in range(3):
        decided = factories.story(people["reporter"], text=text)
        post_form(facilitator, f"/stories/{public_id(decided.id)}/themes/community/reject")
    before = _theme_rows(decided.id)["community"].score
    count, label = tag_services.train_tagger(people["admin"])
    assert count == 3 and label == "tagger model version 2"
    latest = db.session.scalars(db.select(TaggerModel).order_by(TaggerModel.version)).all()
    assert [m.version for m in latest] == [1, 2]
    assert latest[1].created_by_id == people["admin"].id
    assert latest[1].trained_on == {
        "source": "decisions",
        "base_version": 1,
        "decisions": {"community": {"confirmed": 0, "rejected": 3}},
    }
    again = factories.story(people["reporter"], text=text)
    after = _theme_rows(again.id)["community"]
    assert after.model_version == 2
    assert after.score < before  # the decisions moved the model
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent))]
    assert "tagger_trained" in actions
    # A second retrain starts again from version 1: each decision counts once.
    tag_services.train_tagger(None)
    third = db.session.scalars(db.select(TaggerModel).where(TaggerModel.version == 3)).one()
    assert third.trained_on["base_version"] == 1
    assert third.weights["themes"] == latest[1].weights["themes"]


def test_storybank_tag_train_makes_a_new_version(world):
    app, factories, people = world
    story = factories.story(people["reporter"], text=STORY)
    post_form(
        _client(app, people["facilitator"]), f"/stories/{public_id(story.id)}/themes/trust/confirm"
    )
    result = app.test_cli_runner().invoke(main, ["tag", "train"])
    assert result.exit_code == 0, result.output
    assert "Trained on 1 decision(s)" in result.output and "model version 2" in result.output
    versions = db.session.scalars(db.select(TaggerModel.version).order_by(TaggerModel.version))
    assert list(versions) == [1, 2]


def test_an_admin_retrains_from_the_agreement_page_and_others_cannot(world):
    app, factories, people = world
    story = factories.story(people["reporter"], text=STORY)
    post_form(
        _client(app, people["facilitator"]), f"/stories/{public_id(story.id)}/themes/trust/reject"
    )
    admin = _client(app, people["admin"])
    page = admin.get("/admin/themes/agreement").get_data(as_text=True)
    assert "1 (in use)" in page and "labelled stories" in page
    assert post_form(admin, "/admin/themes/train").status_code == 302
    page = admin.get("/admin/themes/agreement").get_data(as_text=True)
    assert "2 (in use)" in page and "trust 0 confirmed, 1 rejected" in page
    facilitator = _client(app, people["facilitator"])
    assert post_form(facilitator, "/admin/themes/train").status_code == 403
    assert db.session.scalar(db.select(db.func.max(TaggerModel.version))) == 2


def test_a_theme_an_admin_adds_is_scored_from_its_examples_by_the_real_tagger(real_world):
    app, factories, people = real_world
    admin = _client(app, people["admin"])
    fields = {
        "key": "work",
        "name": "Work",
        "definition": "Getting, keeping or losing a job, training for one, and money from work.",
        "positive_examples": "I started on the building site on Monday.\n"
        "The warehouse took me on after the trial week.\n"
        "I'm doing my forklift ticket so I can apply for jobs.",
        "negative_examples": "My mate came round for a brew.\nThe bus was late again.",
    }
    assert post_form(admin, "/admin/codebook", fields).status_code == 302
    story = factories.story(
        people["reporter"], text="The depot offered me a job on the night shift. I start soon."
    )
    work = _theme_rows(story.id)["work"]
    assert work.suggested and work.evidence and work.model_version == 1
    assert work.codebook_version == 2
    other = factories.story(people["reporter"], text="We went to the seaside with my nan.")
    assert not _theme_rows(other.id)["work"].suggested


def test_a_model_the_tagger_cannot_use_fails_the_stage_with_a_clear_reason(real_world):
    _app, factories, people = real_world
    tag_services.current_model()
    broken = TaggerModel(version=2, codebook_version=1, trained_on={}, weights={"format": 0})
    db.session.add(broken)
    db.session.commit()
    story = factories.story(people["reporter"], text=STORY)
    assert story.status == "failed"
    job = db.session.scalars(
        db.select(Job).where(Job.story_id == story.id, Job.stage == "tag")
    ).one()
    assert "The tagger weights cannot be used" in job.error
