"""Who may use the storyteller's check, as a matrix: role x route x story state.

The answers are written out here, not computed from storybank.check.policy:

    the story's reporter   shows the storyteller the signed-off story while it is in review:
                           the page, both answers, and the beeped recording.
    everyone else          never: a story they may not see is a 404; one they may see (a
                           reviewer, an admin, a facilitator or researcher once approved) is
                           a 403 for the page and the answers, and a 404 for the recording,
                           as for every recording they may not hear.
    anonymous              is sent to /login.

A refused request records no answer and writes no check event to the audit log.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from storybank.anonymise.models import Anonymisation
from storybank.check.models import StorytellerCheck
from storybank.check.status import sign_off_stamp
from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.stories.models import Site
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories
from tests.web.test_audio_stories import JFK
from tests.web.test_audio_stories import FakeTranscriber
from tests.web.test_audio_stories import _form
from tests.web.test_storyteller_check import STORY
from tests.web.test_storyteller_check import WordFinder

OWNER = "owner"
OTHER_REPORTER = "other_reporter"
FACILITATOR = "facilitator"
RESEARCHER = "researcher"
ADMIN = "admin"
ANONYMOUS = "anonymous"
ROLES = [OWNER, OTHER_REPORTER, FACILITATOR, RESEARCHER, ADMIN, ANONYMOUS]

IN_REVIEW = "in_review_signed_off"
APPROVED = "approved"

PAGE, AGREE, CHANGES, AUDIO = "page", "agree", "changes", "audio"
ROUTES = [PAGE, AGREE, CHANGES, AUDIO]
LOGIN = "302 -> /login"
DONE = "302 -> story"
EVERYWHERE_404 = {PAGE: "404", AGREE: "404", CHANGES: "404", AUDIO: "404"}
SEEN_NOT_OWN = {PAGE: "403", AGREE: "403", CHANGES: "403", AUDIO: "404"}

EXPECTED: dict[str, dict[str, dict[str, str]]] = {
    IN_REVIEW: {
        OWNER: {PAGE: "200", AGREE: DONE, CHANGES: DONE, AUDIO: "200"},
        OTHER_REPORTER: EVERYWHERE_404,
        FACILITATOR: SEEN_NOT_OWN,
        RESEARCHER: EVERYWHERE_404,
        ADMIN: SEEN_NOT_OWN,
        ANONYMOUS: dict.fromkeys(ROUTES, LOGIN),
    },
    APPROVED: {
        OWNER: SEEN_NOT_OWN,
        OTHER_REPORTER: EVERYWHERE_404,
        FACILITATOR: SEEN_NOT_OWN,  # consent allows events
        RESEARCHER: SEEN_NOT_OWN,  # consent allows research
        ADMIN: SEEN_NOT_OWN,
        ANONYMOUS: dict.fromkeys(ROUTES, LOGIN),
    },
}
CHECK_EVENTS = ("storyteller_agreed", "storyteller_asked_changes", "storyteller_check_heard")


@pytest.fixture
def world(make_app):
    app = make_app(
        ANONYMISER_FACTORY=WordFinder,
        TRANSCRIBER_FACTORY=FakeTranscriber,
        STORYTELLER_CHECK="required",
    )
    with app.app_context():
        factories = Factories(app)
        people = {
            OWNER: factories.user("reporter"),
            OTHER_REPORTER: factories.user("reporter"),
            FACILITATOR: factories.user("facilitator"),
            RESEARCHER: factories.user("researcher"),
            ADMIN: factories.user("admin"),
        }
        factories.site()
        yield app, factories, people


def _client(app, people, role):
    client = app.test_client()
    if role != ANONYMOUS:
        response = login(client, people[role].email)
        assert response.status_code == 302
    return client


def _story(app, factories, people, state: str, audio: bool) -> Story:
    if audio:
        reporter = _client(app, people, OWNER)
        site_id = db.session.scalar(db.select(Site.id))
        response = post_form(
            reporter,
            "/stories/new",
            _form(site_id, JFK.read_bytes(), "matrix.flac"),
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        story = db.session.scalar(db.select(Story).order_by(Story.id.desc()))
    else:
        story = factories.story(people[OWNER], signed_off=False, text=STORY)
    post_form(
        _client(app, people, FACILITATOR), f"/review/{public_id(story.id)}/redactions/sign-off"
    )
    if state == APPROVED:
        db.session.refresh(story)
        story.status = "approved"
        db.session.commit()
    return story


def _answer(response, story_id: int) -> str:
    if response.status_code != 302:
        return str(response.status_code)
    path = urlsplit(response.headers["Location"]).path
    return DONE if path == f"/stories/{public_id(story_id)}" else f"302 -> {path}"


def _request(client, route: str, story: Story):
    base = f"/stories/{public_id(story.id)}/check"
    stamp = sign_off_stamp(
        db.session.scalar(db.select(Anonymisation).where(Anonymisation.story_id == story.id))
    )
    if route == PAGE:
        return client.get(base)
    if route == AUDIO:
        return client.get(f"{base}/audio")
    data = {"shown": stamp}
    if route == CHANGES:
        data["note"] = "The storyteller would like the street left out as well."
    return post_form(client, f"{base}/{route}", data)


def _cases():
    for state in (IN_REVIEW, APPROVED):
        for role in ROLES:
            for route in ROUTES:
                marks = []
                if route == AUDIO and not JFK.exists():
                    marks = [pytest.mark.skip(reason="shared audio data is not present")]
                yield pytest.param(state, role, route, id=f"{state}-{role}-{route}", marks=marks)


@pytest.mark.parametrize(("state", "role", "route"), list(_cases()))
def test_only_the_storys_reporter_uses_the_check_while_it_is_in_review(world, state, role, route):
    app, factories, people = world
    story = _story(app, factories, people, state, audio=route == AUDIO)
    client = _client(app, people, role)
    got = _answer(_request(client, route, story), story.id)
    assert got == EXPECTED[state][role][route]
    events = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.action.in_(CHECK_EVENTS))
    ).all()
    answers = db.session.scalars(db.select(StorytellerCheck)).all()
    if got in ("200", DONE):  # each answer and each play is audited; the page is not an original
        assert len(events) == (route != PAGE)
        assert len(answers) == (route in (AGREE, CHANGES))
    else:
        assert events == [] and answers == []
