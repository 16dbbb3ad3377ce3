"""Who may see and do what to a story, as a matrix: role x page/action x story state.

The expected answers are written out here from DESIGN.md ("Who sees what"), not computed by
calling storybank.stories.policy, so that a change to the policy that breaks a rule fails here.

    reporter     sees their own stories (originals included), in every state; retries their
                 own failed stories; corrects and resubmits their own returned stories.
    facilitator  reviews stories in review (originals included, while in review) and sees
                 approved stories whose consent allows use at events.
    researcher   sees approved stories whose consent allows research. Never originals.
    admin        sees everything, originals included; reviews; retries failed stories.

A story a user may not see answers 404, never 403. A story they may see but may not act on
answers 403 for the action. Anyone not logged in is sent to /login.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from storybank.core.audit import AuditEvent
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.extensions import db
from storybank.pipeline.models import Job
from storybank.stories import services
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Story
from storybank.stories.models import StoryText
from tests.conftest import csrf_token
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id

# --- The cast and the story states --------------------------------------------------------

OWNER = "owner"
OTHER_REPORTER = "other_reporter"
FACILITATOR = "facilitator"
RESEARCHER = "researcher"
ADMIN = "admin"
ANONYMOUS = "anonymous"
ROLES = [OWNER, OTHER_REPORTER, FACILITATOR, RESEARCHER, ADMIN, ANONYMOUS]
LOGGED_IN_ROLES = [OWNER, OTHER_REPORTER, FACILITATOR, RESEARCHER, ADMIN]

IN_REVIEW = "in_review"
APPROVED_EVENTS_RESEARCH = "approved_events_research"
APPROVED_EVENTS_ONLY = "approved_events_only"
APPROVED_RESEARCH_ONLY = "approved_research_only"
FAILED = "failed"
RETURNED = "returned"
STATES = [
    IN_REVIEW,
    APPROVED_EVENTS_RESEARCH,
    APPROVED_EVENTS_ONLY,
    APPROVED_RESEARCH_ONLY,
    FAILED,
    RETURNED,
]
ALL_STATES = frozenset(STATES)
APPROVED_FOR_EVENTS = frozenset({APPROVED_EVENTS_RESEARCH, APPROVED_EVENTS_ONLY})
APPROVED_FOR_RESEARCH = frozenset({APPROVED_EVENTS_RESEARCH, APPROVED_RESEARCH_ONLY})

# --- The rules, written out from DESIGN.md ------------------------------------------------

# In which states each role may know the story exists.
SEES: dict[str, frozenset[str]] = {
    OWNER: ALL_STATES,
    OTHER_REPORTER: frozenset(),
    FACILITATOR: frozenset({IN_REVIEW}) | APPROVED_FOR_EVENTS,
    RESEARCHER: APPROVED_FOR_RESEARCH,
    ADMIN: ALL_STATES,
}
# Originals: the story's reporter, reviewers while it is in review, and admins.
SEES_ORIGINAL: dict[str, frozenset[str]] = {
    OWNER: ALL_STATES,
    OTHER_REPORTER: frozenset(),
    FACILITATOR: frozenset({IN_REVIEW}),
    RESEARCHER: frozenset(),
    ADMIN: ALL_STATES,
}
# Review (approve, send back): facilitators and admins, while the story is in review.
REVIEWS: dict[str, frozenset[str]] = {
    OWNER: frozenset(),
    OTHER_REPORTER: frozenset(),
    FACILITATOR: frozenset({IN_REVIEW}),
    RESEARCHER: frozenset(),
    ADMIN: frozenset({IN_REVIEW}),
}
# Retry a failed stage: the story's reporter and admins.
RETRIES: dict[str, frozenset[str]] = {
    OWNER: frozenset({FAILED}),
    OTHER_REPORTER: frozenset(),
    FACILITATOR: frozenset(),
    RESEARCHER: frozenset(),
    ADMIN: frozenset({FAILED}),
}
# Correct and resubmit: only the story's reporter, only when review sent it back.
RESUBMITS: dict[str, frozenset[str]] = {
    OWNER: frozenset({RETURNED}),
    OTHER_REPORTER: frozenset(),
    FACILITATOR: frozenset(),
    RESEARCHER: frozenset(),
    ADMIN: frozenset(),
}


@dataclass(frozen=True)
class Outcome:
    """What the web answers: a status, and for a redirect where it points."""

    status: int
    location: str | None = None  # a path; "{id}" is the story's id

    def __str__(self) -> str:
        return f"{self.status} -> {self.location}" if self.location else str(self.status)


OK = Outcome(200)
HIDDEN = Outcome(404)
FORBIDDEN = Outcome(403)
TO_LOGIN = Outcome(302, "/login")
TO_DETAIL = Outcome(302, "/stories/{id}")
TO_QUEUE = Outcome(302, "/review/")


def expected(action: str, role: str, state: str) -> Outcome:
    """The answer the rules above give for one cell of the matrix."""
    if role == ANONYMOUS:
        return TO_LOGIN
    sees = state in SEES[role]
    if not sees:
        return HIDDEN
    if action in ("detail", "progress"):
        return OK
    if action == "original":
        return OK if state in SEES_ORIGINAL[role] else HIDDEN
    if action == "review_page":
        # Someone who may see the story but not review it is sent to the story's page.
        return OK if state in REVIEWS[role] else TO_DETAIL
    if action in ("approve", "send_back"):
        return TO_QUEUE if state in REVIEWS[role] else FORBIDDEN
    if action == "retry":
        return TO_DETAIL if state in RETRIES[role] else FORBIDDEN
    if action == "resubmit_page":
        return OK if state in RESUBMITS[role] else FORBIDDEN
    if action == "resubmit":
        return TO_DETAIL if state in RESUBMITS[role] else FORBIDDEN
    raise AssertionError(f"no rule for {action}")


ACTIONS = {
    "detail": ("GET", "/stories/{id}"),
    "original": ("GET", "/stories/{id}/original"),
    "progress": ("GET", "/stories/{id}/progress.json"),
    "review_page": ("GET", "/review/{id}"),
    "approve": ("POST", "/review/{id}/approve"),
    "send_back": ("POST", "/review/{id}/return"),
    "retry": ("POST", "/stories/{id}/retry"),
    "resubmit_page": ("GET", "/stories/{id}/resubmit"),
    "resubmit": ("POST", "/stories/{id}/resubmit"),
}

# --- Building the world -------------------------------------------------------------------


class World:
    """Five people, one site, and stories of the owner's in whatever states a test needs."""

    def __init__(self, factories) -> None:
        self.factories = factories
        self.site = factories.site()
        self.people = {
            OWNER: factories.user("reporter"),
            OTHER_REPORTER: factories.user("reporter"),
            FACILITATOR: factories.user("facilitator"),
            RESEARCHER: factories.user("researcher"),
            ADMIN: factories.user("admin"),
        }
        self._stories: dict[str, Story] = {}
        self._clients: dict[str, object] = {}

    def story(self, state: str) -> Story:
        """A new story of the owner's in this state."""
        f = self.factories
        owner = self.people[OWNER]
        if state == IN_REVIEW:
            return f.story(owner)
        if state.startswith("approved_"):
            consent = f.consent(
                events=state in APPROVED_FOR_EVENTS, research=state in APPROVED_FOR_RESEARCH
            )
            story = f.story(owner, status="approved", consent=consent)
            story.approved_at = datetime.now(UTC)
            story.approved_by_id = self.people[ADMIN].id
        elif state == FAILED:
            story = f.story(owner, status="failed")
            story.failed_stage = "ingest"
            story.failure_reason = "x"
        elif state == RETURNED:
            story = f.story(owner, status="returned")
            story.review_note = "Please take out the street name."
        else:
            raise AssertionError(state)
        db.session.commit()
        return story

    def reusable(self, state: str) -> Story:
        """A story in this state, shared until an action changes it (see `spoil`)."""
        if state not in self._stories:
            self._stories[state] = self.story(state)
        return self._stories[state]

    def spoil(self, state: str) -> None:
        """Forget the shared story in this state: an action moved it on."""
        self._stories.pop(state, None)

    def client_for(self, role: str):
        """A browser logged in as the role (anonymous: not logged in)."""
        if role not in self._clients:
            client = self.factories.app.test_client()
            if role != ANONYMOUS:
                response = login(client, self.people[role].email)
                assert response.status_code == 302
            self._clients[role] = client
        return self._clients[role]


@pytest.fixture
def world(factories) -> World:
    return World(factories)


def _request(client, method: str, path: str):
    if method == "GET":
        return client.get(path)
    data = {}
    if path.endswith("/return"):
        data = {"note": "Please change the second paragraph."}
    elif path.endswith("/resubmit"):
        data = {"text": "The corrected story, without the street name."}
    return post_form(client, path, data)


def _answer(response) -> str:
    """The response as the matrix writes outcomes: "404", "302 -> /login"."""
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} -> {urlsplit(response.headers['Location']).path}"
    return str(response.status_code)


def _wanted(outcome: Outcome, story_id: int) -> str:
    return str(outcome).format(id=public_id(story_id))


# --- The web matrix -----------------------------------------------------------------------


@pytest.mark.parametrize("action", list(ACTIONS))
def test_story_pages_answer_each_role_by_the_rules(world, action):
    """Every role x state for one page or action; all mismatches are listed together."""
    method, path = ACTIONS[action]
    mismatches = []
    for role, state in itertools.product(ROLES, STATES):
        story = world.reusable(state)
        before = story.status
        want = _wanted(expected(action, role, state), story.id)

        got = _answer(_request(world.client_for(role), method, path.format(id=public_id(story.id))))

        if got != want:
            mismatches.append(f"{action} as {role} on {state}: wanted {want}, got {got}")
        db.session.refresh(story)
        if story.status != before:
            succeeded = got == want and want.startswith("302") and want != str(TO_LOGIN)
            allowed = method == "POST" and succeeded
            if not allowed:
                mismatches.append(f"{action} as {role} on {state} changed it to {story.status}")
            world.spoil(state)
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("action", ["approve", "send_back", "retry", "resubmit"])
def test_refused_post_without_login_leaves_the_story_unchanged(world, client, action):
    story = world.story({"retry": FAILED, "resubmit": RETURNED}.get(action, IN_REVIEW))
    before = (story.status, story.review_note, len(story.texts))
    response = _request(client, "POST", ACTIONS[action][1].format(id=public_id(story.id)))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    db.session.refresh(story)
    assert (story.status, story.review_note, len(story.texts)) == before


def test_a_story_that_does_not_exist_answers_404_like_a_hidden_one(world, client, login_as):
    login_as(world.people[ADMIN])
    for method, path in ACTIONS.values():
        response = _request(client, method, path.format(id=public_id(999_999)))
        assert response.status_code == 404, path


def test_hidden_and_missing_stories_give_the_same_page(world, client, login_as):
    """A 404 for someone else's story must not hint that it exists."""
    story = world.story(IN_REVIEW)
    login_as(world.people[OTHER_REPORTER])
    hidden = client.get(f"/stories/{public_id(story.id)}")
    missing = client.get("/stories/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data(as_text=True) == missing.get_data(as_text=True)
    assert story.title not in hidden.get_data(as_text=True)


def test_approve_and_send_back_do_what_they_say(world, client, login_as):
    first = world.story(IN_REVIEW)
    second = world.story(IN_REVIEW)
    login_as(world.people[FACILITATOR])
    post_form(client, f"/review/{public_id(first.id)}/approve")
    post_form(
        client, f"/review/{public_id(second.id)}/return", {"note": "Take out the street name."}
    )
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.status == "approved"
    assert first.approved_by_id == world.people[FACILITATOR].id
    assert second.status == "returned"
    assert second.review_note == "Take out the street name."


def test_send_back_without_a_note_is_refused_with_a_message(world, client, login_as):
    story = world.story(IN_REVIEW)
    login_as(world.people[FACILITATOR])
    response = post_form(client, f"/review/{public_id(story.id)}/return", {"note": "   "})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/review/{public_id(story.id)}"
    page = client.get(f"/review/{public_id(story.id)}").get_data(as_text=True)
    assert "Write a note telling the reporter what to change." in page
    db.session.refresh(story)
    assert story.status == "in_review"


def test_owner_retry_runs_the_failed_stage_again(world, client, login_as):
    story = world.story(FAILED)
    login_as(world.people[OWNER])
    post_form(client, f"/stories/{public_id(story.id)}/retry")
    db.session.refresh(story)
    assert story.status == "in_review"
    assert story.failed_stage is None
    assert story.failure_reason is None


def test_progress_json_carries_no_story_text(world, client, login_as):
    story = world.story(IN_REVIEW)
    login_as(world.people[OWNER])
    response = client.get(f"/stories/{public_id(story.id)}/progress.json")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert response.json["status"] == "in_review"
    assert story.current_text.body not in body
    assert "case manager" not in body


@pytest.mark.parametrize("role", [FACILITATOR, RESEARCHER])
def test_detail_page_shows_no_original_text_to_those_who_may_not_read_it(
    world, client, login_as, role
):
    story = world.factories.story(
        world.people[OWNER],
        status="approved",
        text="My case manager Sunita Patel rang me on 07700 900123 every week.",
    )
    login_as(world.people[role])
    page = client.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)
    # The typed title is not anonymised, so it goes only where the original goes.
    assert story.title not in page and f"Story {public_id(story.id)}" in page
    # Only the signed-off anonymised text: the name and number never reach them.
    assert "My case manager [PERSON 1] rang me on [PHONE] every week." in page
    assert "Sunita" not in page and "Patel" not in page and "07700" not in page
    assert f"/stories/{public_id(story.id)}/original" not in page


# --- List pages ---------------------------------------------------------------------------

LIST_PAGES: dict[str, frozenset[str]] = {
    "/stories/": frozenset({OWNER, OTHER_REPORTER}),
    "/stories/new": frozenset({OWNER, OTHER_REPORTER}),
    "/review/": frozenset({FACILITATOR, ADMIN}),
    "/stories/library": frozenset({FACILITATOR, RESEARCHER, ADMIN}),
    "/admin/users": frozenset({ADMIN}),
    "/admin/sites": frozenset({ADMIN}),
    "/admin/audit": frozenset({ADMIN}),
    "/admin/stories": frozenset({ADMIN}),
}


@pytest.mark.parametrize("role", ROLES)
def test_list_pages_open_only_to_their_roles(world, role):
    client = world.client_for(role)
    mismatches = []
    for path, roles in LIST_PAGES.items():
        want = "302 -> /login" if role == ANONYMOUS else "200" if role in roles else "403"
        if path == "/stories/" and role == ADMIN:
            want = "302 -> /admin/stories"  # an admin's list of stories is the list of all
        got = _answer(client.get(path))
        if got != want:
            mismatches.append(f"{path} as {role}: wanted {want}, got {got}")
    assert not mismatches, "\n".join(mismatches)


def test_my_stories_lists_only_my_own(world, client, login_as):
    mine = world.story(IN_REVIEW)
    theirs = world.factories.story(world.people[OTHER_REPORTER], title="Somebody else's story")
    login_as(world.people[OWNER])
    page = client.get("/stories/").get_data(as_text=True)
    assert f"/stories/{public_id(mine.id)}" in page
    assert f"/stories/{public_id(theirs.id)}" not in page
    assert "Somebody else" not in page


def test_review_queue_lists_only_stories_in_review(world, client, login_as):
    waiting = world.story(IN_REVIEW)
    others = [world.story(state) for state in STATES if state != IN_REVIEW]
    login_as(world.people[FACILITATOR])
    page = client.get("/review/").get_data(as_text=True)
    assert f"/review/{public_id(waiting.id)}" in page
    for story in others:
        assert f"/review/{public_id(story.id)}" not in page, story.status


@pytest.mark.parametrize("role", [FACILITATOR, RESEARCHER, ADMIN])
def test_library_lists_only_approved_stories_whose_consent_allows_the_role(
    world, client, login_as, role
):
    stories = {state: world.story(state) for state in STATES}
    login_as(world.people[role])
    page = client.get("/stories/library").get_data(as_text=True)
    allowed = {
        FACILITATOR: APPROVED_FOR_EVENTS,
        RESEARCHER: APPROVED_FOR_RESEARCH,
        ADMIN: APPROVED_FOR_EVENTS | APPROVED_FOR_RESEARCH,
    }[role]
    for state, story in stories.items():
        link = f'href="/stories/{public_id(story.id)}"'
        if state in allowed:
            assert link in page, state
        else:
            assert link not in page, state


# --- The same rules, proven on the services without HTTP ----------------------------------


def _outcome(call) -> str:
    try:
        call()
    except NotFound:
        return "not_found"
    except NotAllowed:
        return "not_allowed"
    return "ok"


def _actor(world: World, role: str):
    return None if role == ANONYMOUS else world.people[role]


def _action_outcome(role: str, state: str, allowed: dict[str, frozenset[str]]) -> str:
    """What a story action should do: hide the story, refuse, or go ahead."""
    if role == ANONYMOUS or state not in SEES[role]:
        return "not_found"
    return "ok" if state in allowed[role] else "not_allowed"


def _text_versions(story: Story) -> int:
    return db.session.scalar(
        db.select(db.func.count(StoryText.id)).where(StoryText.story_id == story.id)
    )


def _jobs() -> int:
    return db.session.scalar(db.select(db.func.count(Job.id)))


SERVICE_CALLS = {
    "get_story": lambda actor, story_id: services.get_story(actor, story_id),
    "read_original_text": lambda actor, story_id: services.read_original_text(actor, story_id),
    "approve_story": lambda actor, story_id: services.approve_story(actor, story_id),
    "return_story": lambda actor, story_id: services.return_story(actor, story_id, "Fix it."),
    "retry_story": lambda actor, story_id: services.retry_story(actor, story_id),
    "resubmit_story": lambda actor, story_id: services.resubmit_story(
        actor, story_id, "A corrected story."
    ),
}
SERVICE_RULES = {
    "get_story": lambda role, state: (
        "ok" if role != ANONYMOUS and state in SEES[role] else "not_found"
    ),
    "read_original_text": lambda role, state: (
        "ok" if role != ANONYMOUS and state in SEES_ORIGINAL[role] else "not_found"
    ),
    "approve_story": lambda role, state: _action_outcome(role, state, REVIEWS),
    "return_story": lambda role, state: _action_outcome(role, state, REVIEWS),
    "retry_story": lambda role, state: _action_outcome(role, state, RETRIES),
    "resubmit_story": lambda role, state: _action_outcome(role, state, RESUBMITS),
}


@pytest.mark.parametrize("service", list(SERVICE_CALLS))
def test_story_services_follow_the_rules_without_http(world, service):
    """Every role x state against the service itself: NotFound, NotAllowed, or done."""
    mismatches = []
    for role in ROLES:
        for state in STATES:
            story = world.reusable(state)
            before = (story.status, _text_versions(story), _jobs())
            want = SERVICE_RULES[service](role, state)

            actor = _actor(world, role)
            got = _outcome(lambda a=actor, s=story: SERVICE_CALLS[service](a, s.id))

            if got != want:
                mismatches.append(f"{service} as {role} on {state}: wanted {want}, got {got}")
            db.session.rollback()
            db.session.refresh(story)
            after = (story.status, _text_versions(story), _jobs())
            if got != "ok" and after != before:
                mismatches.append(f"{service} as {role} on {state} was refused but wrote")
            if after != before:
                world.spoil(state)
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("role", LOGGED_IN_ROLES)
def test_list_services_refuse_roles_they_are_not_for(world, role):
    actor = world.people[role]
    reporter = role in (OWNER, OTHER_REPORTER)
    assert _outcome(lambda: services.list_my_stories(actor)) == (
        "ok" if reporter else "not_allowed"
    )
    assert _outcome(lambda: services.list_review_queue(actor)) == (
        "ok" if role in (FACILITATOR, ADMIN) else "not_allowed"
    )
    assert _outcome(lambda: services.list_approved_stories(actor)) == (
        "ok" if role in (FACILITATOR, RESEARCHER, ADMIN) else "not_allowed"
    )


@pytest.mark.parametrize("role", [FACILITATOR, RESEARCHER, ADMIN])
def test_submit_service_refuses_everyone_but_reporters(world, role):
    with pytest.raises(NotAllowed):
        services.submit_story(world.people[role], world.factories.draft(world.site))
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Story.id))) == 0


def test_list_services_return_only_what_each_role_may_see(world):
    stories = {state: world.story(state) for state in STATES}
    ids = {story.id: state for state, story in stories.items()}
    for role in (FACILITATOR, RESEARCHER, ADMIN):
        listed = {ids[s.id] for s in services.list_approved_stories(world.people[role])}
        approved = {s for s in STATES if s.startswith("approved_")}
        assert listed == SEES[role] & approved, role
    assert {ids[s.id] for s in services.list_review_queue(world.people[FACILITATOR])} == {IN_REVIEW}
    assert {ids[s.id] for s in services.list_my_stories(world.people[OWNER])} == set(STATES)
    assert services.list_my_stories(world.people[OTHER_REPORTER]) == []


def test_return_service_needs_a_note(world):
    story = world.story(IN_REVIEW)
    with pytest.raises(InvalidInput):
        services.return_story(world.people[FACILITATOR], story.id, "  ")


def test_anonymous_csrf_token_is_not_a_login(world, client):
    """A CSRF token fetched without logging in opens nothing."""
    story = world.story(IN_REVIEW)
    csrf_token(client)
    assert client.get(f"/stories/{public_id(story.id)}").status_code == 302


@pytest.mark.parametrize("role", [OWNER, FACILITATOR, ADMIN])
def test_refused_correction_page_does_not_log_a_view_of_the_original(world, client, login_as, role):
    """Opening the correction form for a story not sent back is refused before anything is read."""
    story = world.story(IN_REVIEW)
    login_as(world.people[role])
    assert client.get(f"/stories/{public_id(story.id)}/resubmit").status_code == 403
    views = db.session.scalar(
        db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "view_original")
    )
    assert views == 0


def test_owner_opens_the_correction_page_of_a_returned_story(world, client, login_as):
    story = world.story(RETURNED)
    login_as(world.people[OWNER])
    page = client.get(f"/stories/{public_id(story.id)}/resubmit")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Please take out the street name." in body
    assert "my own ideas for the plan" in body


def test_owner_resubmits_a_returned_story_and_it_goes_back_to_review(world, client, login_as):
    story = world.story(RETURNED)
    login_as(world.people[OWNER])
    response = post_form(
        client, f"/stories/{public_id(story.id)}/resubmit", {"text": "Corrected, no street."}
    )
    assert response.status_code == 302
    db.session.refresh(story)
    assert story.status == "in_review"
    assert [(t.version, t.origin, t.body) for t in story.texts][-1] == (
        2,
        "correction",
        "Corrected, no street.",
    )


def _withdraw(story: Story, **changes: bool) -> None:
    """Record the storyteller's newer consent; the old record stays as history."""
    old = story.current_consent
    answers = {
        "processing": old.processing,
        "events": old.events,
        "research": old.research,
        "audio_at_events": old.audio_at_events,
    }
    answers.update(changes)
    story.consents.append(
        ConsentRecord(**answers, given_on=old.given_on, recorded_by_id=old.recorded_by_id)
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("withdrawn", "facilitator_sees", "researcher_sees"),
    [
        ({"research": False}, True, False),
        ({"events": False}, False, True),
        ({"processing": False}, False, False),
    ],
)
def test_the_newest_consent_record_decides_who_sees_an_approved_story(
    world, withdrawn, facilitator_sees, researcher_sees
):
    story = world.story(APPROVED_EVENTS_RESEARCH)
    _withdraw(story, **withdrawn)
    answers = {
        role: _answer(world.client_for(role).get(f"/stories/{public_id(story.id)}"))
        for role in (OWNER, FACILITATOR, RESEARCHER, ADMIN)
    }
    assert answers == {
        OWNER: "200",
        FACILITATOR: "200" if facilitator_sees else "404",
        RESEARCHER: "200" if researcher_sees else "404",
        ADMIN: "200",
    }
    library = {
        role: f'href="/stories/{public_id(story.id)}"'
        in world.client_for(role).get("/stories/library").text
        for role in (FACILITATOR, RESEARCHER)
    }
    assert library == {FACILITATOR: facilitator_sees, RESEARCHER: researcher_sees}
