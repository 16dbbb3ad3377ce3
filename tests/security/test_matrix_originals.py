"""The permission matrix for issue 9's originals and admin list: role x state, written out.

Original audio follows the originals rule (the reporter, reviewers while in review, admins),
fetched by a Range request that reaches the whole file, and each allowed play writes exactly
one audit event. Deciding a theme answers by the themes rule and, with a hostile `next`, still
lands on the story's own page. The list of all stories is for admins only.
"""

from __future__ import annotations

import itertools

import pytest

from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.tag.services import current_codebook
from tests.conftest import csrf_token
from tests.conftest import public_id
from tests.security.test_originals import attach_audio
from tests.security.test_permission_matrix import ADMIN
from tests.security.test_permission_matrix import ANONYMOUS
from tests.security.test_permission_matrix import APPROVED_EVENTS_ONLY
from tests.security.test_permission_matrix import APPROVED_EVENTS_RESEARCH
from tests.security.test_permission_matrix import APPROVED_FOR_EVENTS
from tests.security.test_permission_matrix import APPROVED_RESEARCH_ONLY
from tests.security.test_permission_matrix import FACILITATOR
from tests.security.test_permission_matrix import IN_REVIEW
from tests.security.test_permission_matrix import ROLES
from tests.security.test_permission_matrix import SEES
from tests.security.test_permission_matrix import SEES_ORIGINAL
from tests.security.test_permission_matrix import STATES
from tests.security.test_permission_matrix import World
from tests.security.test_permission_matrix import _answer

# Themes: facilitators and admins, in review or approved (and only where they see the story).
DECIDES_THEMES = {
    FACILITATOR: frozenset({IN_REVIEW}) | APPROVED_FOR_EVENTS,
    ADMIN: frozenset(
        {IN_REVIEW, APPROVED_EVENTS_ONLY, APPROVED_EVENTS_RESEARCH, APPROVED_RESEARCH_ONLY}
    ),
}


@pytest.fixture
def world(factories) -> World:
    return World(factories)


def _audio_views(story_id: int, actor_id: int | None) -> int:
    events = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.action == "view_original",
            AuditEvent.target_id == story_id,
            AuditEvent.actor_id == actor_id,
        )
    )
    return sum(1 for e in events if e.details.get("what") == "audio-original")


def test_original_audio_by_range_answers_and_audits_each_role_by_the_rules(world, app):
    mismatches = []
    for state in STATES:
        story = world.story(state)
        attach_audio(app, story)
        for role in ROLES:
            client = world.client_for(role)
            for header in ("bytes=0-99999999", "bytes=64-"):
                response = client.get(
                    f"/stories/{public_id(story.id)}/audio/original", headers={"Range": header}
                )
                got = _answer(response)
                if role == ANONYMOUS:
                    want = "302 -> /login"
                elif state in SEES_ORIGINAL[role]:
                    want = "206"
                else:
                    want = "404"
                if got != want:
                    mismatches.append(f"{role} on {state} ({header}): wanted {want}, got {got}")
            actor = None if role == ANONYMOUS else world.people[role].id
            views = _audio_views(story.id, actor)
            wanted_views = 1 if role != ANONYMOUS and state in SEES_ORIGINAL[role] else 0
            if views != wanted_views:
                mismatches.append(f"{role} on {state}: {views} audit events, wanted {wanted_views}")
    assert not mismatches, "\n".join(mismatches)


def test_theme_decisions_answer_each_role_and_never_leave_the_site(world):
    key = current_codebook().themes[0].key
    mismatches = []
    for role, state in itertools.product(ROLES, STATES):
        story = world.reusable(state)
        client = world.client_for(role)
        data = {"next": "//evil.example/", "csrf_token": csrf_token(client)}
        got = _answer(
            client.post(f"/stories/{public_id(story.id)}/themes/{key}/confirm", data=data)
        )
        if role == ANONYMOUS:
            want = "302 -> /login"
        elif state not in SEES[role]:
            want = "404"
        elif state in DECIDES_THEMES.get(role, frozenset()):
            want = f"302 -> /stories/{public_id(story.id)}"
        else:
            want = "403"
        if got != want:
            mismatches.append(f"{role} on {state}: wanted {want}, got {got}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("role", ROLES)
def test_the_list_of_all_stories_is_for_admins_only(world, role):
    world.reusable(IN_REVIEW)
    got = _answer(world.client_for(role).get("/admin/stories?status=in_review"))
    want = {ANONYMOUS: "302 -> /login", ADMIN: "200"}.get(role, "403")
    assert got == want


@pytest.mark.parametrize("role", [r for r in ROLES if r != ANONYMOUS])
def test_the_list_service_refuses_all_but_admins(world, role):
    from storybank.core.errors import NotAllowed
    from storybank.stories.queries import StoryFilters
    from storybank.stories.services import list_all_stories

    world.reusable(IN_REVIEW)
    actor = world.people[role]
    if role == ADMIN:
        assert list_all_stories(actor, StoryFilters()).total == 1
    else:
        with pytest.raises(NotAllowed):
            list_all_stories(actor, StoryFilters())
