"""Who may change or withdraw consent, as a matrix: role x action x story state.

Written out from DESIGN.md: the story's reporter (for the storyteller) and admins change and
withdraw consent. Anyone who may not see the story gets 404; anyone who sees it but may not act
gets 403; anyone not logged in is sent to /login.
"""

from __future__ import annotations

import pytest

from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id

TEXT = "The cookery class at the hostel gave me something to look forward to each week."

OWNER, OTHER, FACILITATOR, RESEARCHER, ADMIN, ANONYMOUS = (
    "owner",
    "other_reporter",
    "facilitator",
    "researcher",
    "admin",
    "anonymous",
)
STATES = ["in_review", "approved", "failed"]
# Who can see the story in each state (the rest get 404).
SEES = {
    OWNER: set(STATES),
    OTHER: set(),
    FACILITATOR: {"in_review", "approved"},
    RESEARCHER: {"approved"},
    ADMIN: set(STATES),
}
MAY_ACT = {OWNER, ADMIN}
ACTIONS = {
    "see_consent_page": ("GET", "/stories/{id}/consent", {}, 200),
    "narrow_consent": ("POST", "/stories/{id}/consent", {"events": "y"}, 302),
    "withdraw_consent": ("POST", "/stories/{id}/withdraw", {"confirm": "y"}, 302),
}


def _expected(role: str, state: str, allowed: int) -> int:
    if role == ANONYMOUS:
        return 302
    if state not in SEES[role]:
        return 404
    return allowed if role in MAY_ACT else 403


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", [OWNER, OTHER, FACILITATOR, RESEARCHER, ADMIN, ANONYMOUS])
def test_consent_actions_matrix(app, factories, role, action, state):
    owner = factories.user("reporter")
    users = {OWNER: owner, ANONYMOUS: None}
    for name, kind in [
        (OTHER, "reporter"),
        (FACILITATOR, "facilitator"),
        (RESEARCHER, "researcher"),
        (ADMIN, "admin"),
    ]:
        users[name] = factories.user(kind)
    story_id = factories.story(owner, status=state, text=TEXT).id
    client = app.test_client()
    if users[role] is not None:
        login(client, users[role].email)
    method, url, data, allowed = ACTIONS[action]
    url = url.format(id=public_id(story_id))
    response = client.get(url) if method == "GET" else post_form(client, url, data)
    expected = _expected(role, state, allowed)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    if expected == 302 and role == ANONYMOUS:
        assert "/login" in response.headers["Location"]
    erased = db.session.get(Story, story_id) is None
    assert erased == (action == "withdraw_consent" and expected == 302 and role != ANONYMOUS)
