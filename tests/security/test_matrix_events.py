"""Who may see and do what with Conversation of Change events, as a matrix: viewer x route.

The expected answers are written out here from the rules for events (storybank/curate/policy.py
and its docstrings), not computed by calling the policy, so that a change to the policy that
breaks a rule fails here.

    facilitator, admin   list, plan and edit events; build packs (stories, order, notes, plan,
                         quotes, suggestions); see the digest, the PDF/DOCX and manifests;
                         record what was said and the actions agreed.
    admin                alone shares an event's actions with researchers.
    researcher           nothing of events or packs: an event they may not know of is a 404.
                         Once an admin shares an event's actions: its page (title, date, place,
                         actions only) and the shared-actions list; every pack URL, output,
                         manifest, form and POST of that event is still refused, with 403
                         because they now know the event exists.
    reporter             no event pages (404 for one event, 403 for the list pages, as for the
                         review queue); on their own story's page, where it was used and what
                         came of it. Another reporter does not see the story at all.
    anonymous            sent to /login for everything.

Every viewer acts on an event of their own (the same world, built afresh), so that an allowed
POST by one cannot change what the next one meets. A refused request must change nothing and
write no audit event; an allowed POST must do what it says, and write its audit event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest

from storybank.anonymise.services import released_text
from storybank.core.audit import AuditEvent
from storybank.curate import actions as action_services
from storybank.curate import builder
from storybank.curate import events as event_services
from storybank.curate import outputs
from storybank.curate import quotes
from storybank.curate import suggest
from storybank.curate.models import Event
from storybank.curate.models import PackChange
from storybank.curate.models import PackRender
from storybank.curate.models import PackSuggestion
from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id

# --- The cast -----------------------------------------------------------------------------

OWNER = "owner"  # the reporter whose story is in the pack
OTHER_REPORTER = "other_reporter"
FACILITATOR = "facilitator"
RESEARCHER = "researcher"  # on an event whose actions are not shared
RESEARCHER_SHARED = "researcher_shared"  # the same researcher, on an event an admin shared
ADMIN = "admin"
ANONYMOUS = "anonymous"
VIEWERS = [OWNER, OTHER_REPORTER, FACILITATOR, RESEARCHER, RESEARCHER_SHARED, ADMIN, ANONYMOUS]
LOGIN_OF = {RESEARCHER_SHARED: RESEARCHER}

# Invented sentences only.
IN_PACK_TEXT = (
    "The allotment group met every week and the runner beans grew taller than the fence. "
    "Planting seeds with other people made the week feel steady."
)
QUOTED = "Planting seeds with other people made the week feel steady."
CANDIDATE_TEXT = (
    "Learning to cook on a small budget gave me something to share at home. "
    "The soup was thin at first but it got better every time."
)
DISCUSSION = "The tables talked about keeping the seed swap going through the winter."
AUDIENCE = "Peer mentors and the allotment volunteers"
EVENT_NOTES = "Bring the spare trowels from the cupboard."
YOU_SAID = "Several people asked for a quiet room on market days."
WE_WILL = "Open the side room on Fridays from next month."
ACTION_OWNER = "Hub team"

# --- Answers as the matrix writes them ----------------------------------------------------

OK = "200"
HIDDEN = "404"
FORBIDDEN = "403"
TO_LOGIN = "302 -> /login"
TO_EVENT = "302 -> /events/{event}"
TO_PACK = "302 -> /events/{event}/pack"
TO_QUOTES = "302 -> /events/{event}/pack/stories/{story}/quotes"
TO_NEW_PACK = "302 -> /events/{new_event}/pack"

# (method, path, form) for every route in storybank/curate/views.py. Placeholders: {event} the
# viewer's event, {story} the story in its pack, {candidate} an approved story not in it,
# {quote}, {action}, {suggestion}, {render} (a digest's manifest) of that event.
ROUTES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "index": ("GET", "/events/", {}),
    "new_page": ("GET", "/events/new", {}),
    "new": (
        "POST",
        "/events/new",
        {
            "title": "Autumn conversation",
            "held_on": "2031-10-02",
            "place": "The library meeting room",
            "facilitator_id": "{facilitator_id}",
        },
    ),
    "shared_actions": ("GET", "/events/shared-actions", {}),
    "show": ("GET", "/events/{event}", {}),
    "edit_page": ("GET", "/events/{event}/edit", {}),
    "edit": (
        "POST",
        "/events/{event}/edit",
        {
            "title": "Renamed conversation",
            "held_on": "2031-05-06",
            "place": "The community garden shed",
            "facilitator_id": "{facilitator_id}",
        },
    ),
    "pack": ("GET", "/events/{event}/pack", {}),
    "add_story": ("POST", "/events/{event}/pack/stories", {"story_id": "{candidate}"}),
    "remove_story": ("POST", "/events/{event}/pack/stories/{story}/remove", {}),
    "move_story": ("POST", "/events/{event}/pack/stories/{story}/move", {"direction": "down"}),
    "story_notes": (
        "POST",
        "/events/{event}/pack/stories/{story}/notes",
        {"reason": "It shows a steady routine.", "summary": "A summary in other words."},
    ),
    "plan": (
        "POST",
        "/events/{event}/pack/plan",
        {"theme_keys": "{theme}", "facilitator_notes": "Start with the seed swap."},
    ),
    "quotes_page": ("GET", "/events/{event}/pack/stories/{story}/quotes", {}),
    "pick_quote": (
        "POST",
        "/events/{event}/pack/stories/{story}/quotes",
        {"passage": "the runner beans grew taller than the fence", "theme": "{theme}"},
    ),
    "remove_quote": ("POST", "/events/{event}/pack/quotes/{quote}/remove", {}),
    "keep_quote": ("POST", "/events/{event}/pack/quotes/{quote}/keep", {}),
    "suggest": (
        "POST",
        "/events/{event}/pack/suggest",
        {"word_budget": "3000", "seed": "11", "voices": ["person_on_probation", "peer_mentor"]},
    ),
    "accept_suggestion": ("POST", "/events/{event}/pack/suggestions/{suggestion}/accept", {}),
    "changes_seen": ("POST", "/events/{event}/pack/changes/seen", {}),
    "digest": ("GET", "/events/{event}/digest", {}),
    "pdf": ("GET", "/events/{event}/pack.pdf", {}),
    "docx": ("GET", "/events/{event}/pack.docx", {}),
    "manifest": ("GET", "/events/{event}/manifests/{render}.json", {}),
    "discussion": (
        "POST",
        "/events/{event}/discussion",
        {"discussion_notes": "Someone suggested a second plot."},
    ),
    "add_action": (
        "POST",
        "/events/{event}/actions",
        {
            "you_said": "More benches please.",
            "we_will": "Ask the council.",
            "owner": "Bench group",
            "status": "agreed",
        },
    ),
    "action_page": ("GET", "/events/{event}/actions/{action}", {}),
    "update_action": (
        "POST",
        "/events/{event}/actions/{action}",
        {
            "you_said": YOU_SAID,
            "we_will": WE_WILL,
            "owner": ACTION_OWNER,
            "status": "done",
            "we_did": "The side room opened on the first Friday.",
        },
    ),
    "share": ("POST", "/events/{event}/share", {"shared": "yes"}),
}

# The rules, written out. Columns, in order:
#   owner, other reporter, facilitator, researcher, researcher (shared), admin, anonymous
EXPECTED: dict[str, tuple[str, str, str, str, str, str, str]] = {
    # Pages not about one event: 403 for a role without them (as the review queue is).
    "index": (FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "new_page": (FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "new": (FORBIDDEN, FORBIDDEN, TO_NEW_PACK, FORBIDDEN, FORBIDDEN, TO_NEW_PACK, TO_LOGIN),
    # The researchers' page (admins may look at it too, as the policy says).
    "shared_actions": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, TO_LOGIN),
    # One event: researchers see it only once its actions are shared.
    "show": (HIDDEN, HIDDEN, OK, HIDDEN, OK, OK, TO_LOGIN),
    "edit_page": (HIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "edit": (HIDDEN, HIDDEN, TO_EVENT, HIDDEN, FORBIDDEN, TO_EVENT, TO_LOGIN),
    # The pack: never for researchers, shared or not.
    "pack": (HIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "add_story": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "remove_story": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "move_story": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "story_notes": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "plan": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "quotes_page": (HIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "pick_quote": (HIDDEN, HIDDEN, TO_QUOTES, HIDDEN, FORBIDDEN, TO_QUOTES, TO_LOGIN),
    "remove_quote": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "keep_quote": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "suggest": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "accept_suggestion": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    "changes_seen": (HIDDEN, HIDDEN, TO_PACK, HIDDEN, FORBIDDEN, TO_PACK, TO_LOGIN),
    # Outputs and manifests: never for researchers.
    "digest": (HIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "pdf": (HIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "docx": (HIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "manifest": (HIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN, OK, TO_LOGIN),
    # What was said and the actions: recorded by facilitators and admins only.
    "discussion": (HIDDEN, HIDDEN, TO_EVENT, HIDDEN, FORBIDDEN, TO_EVENT, TO_LOGIN),
    "add_action": (HIDDEN, HIDDEN, TO_EVENT, HIDDEN, FORBIDDEN, TO_EVENT, TO_LOGIN),
    "action_page": (HIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN, OK, TO_LOGIN),
    "update_action": (HIDDEN, HIDDEN, TO_EVENT, HIDDEN, FORBIDDEN, TO_EVENT, TO_LOGIN),
    # Sharing: admins only; a facilitator sees the event, so is refused with 403.
    "share": (HIDDEN, HIDDEN, FORBIDDEN, HIDDEN, FORBIDDEN, TO_EVENT, TO_LOGIN),
}
assert set(EXPECTED) == set(ROUTES)
assert all(len(row) == len(VIEWERS) for row in EXPECTED.values())

REFUSED = frozenset({HIDDEN, FORBIDDEN})

# --- What an allowed POST must have done, and the audit event it writes -------------------


def _only(rows: list[tuple], index: int) -> list:
    return [row[index] for row in rows]


EFFECTS: dict[str, tuple[Callable[[dict, dict], bool], str | None]] = {
    "new": (lambda b, a: a["events"] == b["events"] + 1, "event_created"),
    "edit": (
        lambda b, a: a["event"][:2] == ("Renamed conversation", "The community garden shed"),
        "event_updated",
    ),
    "add_story": (
        lambda b, a: (
            len(a["entries"]) == len(b["entries"]) + 1 and a["pack"][0] == b["pack"][0] + 1
        ),
        "pack_edited",
    ),
    "remove_story": (
        lambda b, a: a["entries"] == [] and a["quotes"] == [] and a["pack"][0] == b["pack"][0] + 1,
        "pack_edited",
    ),
    "move_story": (lambda b, a: a["pack"][0] == b["pack"][0] + 1, "pack_edited"),
    "story_notes": (
        lambda b, a: (
            _only(a["entries"], 2) == ["It shows a steady routine."]
            and _only(a["entries"], 3) == ["A summary in other words."]
        ),
        "pack_edited",
    ),
    "plan": (
        lambda b, a: a["pack"][3] == "Start with the seed swap." and len(a["pack"][1]) == 1,
        "pack_edited",
    ),
    "pick_quote": (lambda b, a: len(a["quotes"]) == len(b["quotes"]) + 1, "pack_edited"),
    "remove_quote": (lambda b, a: a["quotes"] == [], "pack_edited"),
    "keep_quote": (lambda b, a: a["pack"][0] == b["pack"][0] + 1, "pack_edited"),
    "suggest": (lambda b, a: len(a["suggestions"]) == len(b["suggestions"]) + 1, "pack_suggested"),
    "accept_suggestion": (
        lambda b, a: all(accepted is not None for accepted in _only(a["suggestions"], 1)),
        "pack_edited",
    ),
    "changes_seen": (lambda b, a: all(seen is not None for seen in _only(a["changes"], 1)), None),
    "discussion": (
        lambda b, a: a["event"][2] == "Someone suggested a second plot.",
        "event_updated",
    ),
    "add_action": (lambda b, a: len(a["actions"]) == len(b["actions"]) + 1, "action_recorded"),
    "update_action": (lambda b, a: _only(a["actions"], 1) == ["done"], "action_updated"),
    "share": (lambda b, a: a["event"][3] is True and b["event"][3] is False, "actions_shared"),
}
assert set(EFFECTS) == {name for name, (method, _, _) in ROUTES.items() if method == "POST"}

# --- Building the world -------------------------------------------------------------------


@dataclass
class Setting:
    """One viewer's event: its pack holds one approved story with one quote; one action."""

    event: int
    quote: int
    action: int
    suggestion: int
    render: int


class World:
    """The people, two approved stories, and a fresh event for each viewer who needs one."""

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
        self.story = self._approved(IN_PACK_TEXT)
        self.candidate = self._approved(CANDIDATE_TEXT)
        self.theme = ""
        self._clients: dict[str, Any] = {}

    def _approved(self, text: str) -> Story:
        f = self.factories
        story = f.story(self.people[OWNER], text=text, consent=f.consent(events=True))
        db.session.refresh(story)
        story.status = "approved"
        db.session.commit()
        return story

    def setting(self, shared: bool = False) -> Setting:
        """A new event, planned and filled through the real services."""
        facilitator = self.people[FACILITATOR]
        event = event_services.create_event(
            facilitator,
            event_services.EventDetails(
                title="Spring conversation",
                held_on=date(2031, 4, 3),
                place="The allotment hut",
                facilitator_id=facilitator.id,
                audience=AUDIENCE,
                notes=EVENT_NOTES,
            ),
        )
        self.theme = event.pack.theme_keys[0]
        builder.add_story_to_pack(facilitator, event.id, self.story.id, "A steady routine")
        released = released_text(self.story)
        assert released is not None and QUOTED in released.text
        quote = quotes.pick_quote(facilitator, event.id, self.story.id, QUOTED, self.theme)
        action = action_services.add_action(
            facilitator,
            event.id,
            action_services.ActionDetails(
                you_said=YOU_SAID,
                we_will=WE_WILL,
                owner=ACTION_OWNER,
                due_on=date(2031, 6, 1),
                story_ids=[self.story.id],
            ),
        )
        event_services.record_discussion(facilitator, event.id, DISCUSSION)
        suggestion = suggest.suggest_pack_stories(facilitator, event.id, 3000, seed=5)
        outputs.show_digest(facilitator, event.id, lambda story_id: f"/audio/{story_id}")
        render = db.session.scalar(
            db.select(PackRender.id).where(PackRender.pack_id == event.pack.id)
        )
        db.session.add(PackChange(pack_id=event.pack.id, reason="A story left the pack."))
        db.session.commit()
        if shared:
            event_services.share_actions(self.people[ADMIN], event.id, True)
        return Setting(event.id, quote.id, action.id, suggestion.id, render)

    def client_for(self, viewer: str):
        """A browser logged in as the viewer (anonymous: not logged in)."""
        role = LOGIN_OF.get(viewer, viewer)
        if role not in self._clients:
            client = self.factories.app.test_client()
            if role != ANONYMOUS:
                response = login(client, self.people[role].email)
                assert response.status_code == 302
            self._clients[role] = client
        return self._clients[role]

    def values(self, setting: Setting | None) -> dict[str, object]:
        values: dict[str, object] = {
            "story": public_id(self.story.id),
            "candidate": public_id(self.candidate.id),
            "facilitator_id": self.people[FACILITATOR].id,
            "theme": self.theme,
        }
        if setting is not None:
            values.update(
                event=setting.event,
                quote=setting.quote,
                action=setting.action,
                suggestion=setting.suggestion,
                render=setting.render,
            )
        return values


@pytest.fixture
def world(factories) -> World:
    return World(factories)


def snapshot(event_id: int | None) -> dict[str, Any]:
    """Everything a request could change, read afresh."""
    db.session.expire_all()
    state: dict[str, Any] = {
        "events": db.session.scalar(db.select(db.func.count(Event.id))),
        "audit": db.session.scalar(db.select(db.func.max(AuditEvent.id))) or 0,
    }
    if event_id is None:
        return state
    event = db.session.get(Event, event_id)
    pack = event.pack
    state.update(
        event=(event.title, event.place, event.discussion_notes, event.actions_shared),
        pack=(pack.revision, list(pack.theme_keys), dict(pack.prompts), pack.facilitator_notes),
        entries=[(e.story_id, e.position, e.reason, e.summary) for e in pack.entries],
        quotes=[(q.id, q.status, q.picked_sha256) for e in pack.entries for q in e.quotes],
        actions=[(a.id, a.status, a.we_did, a.you_said) for a in event.actions],
        suggestions=[
            (s.id, s.accepted_at)
            for s in db.session.scalars(
                db.select(PackSuggestion).where(PackSuggestion.pack_id == pack.id)
            )
        ],
        changes=[(c.id, c.seen_at) for c in pack.changes],
        renders=db.session.scalar(
            db.select(db.func.count(PackRender.id)).where(PackRender.pack_id == pack.id)
        ),
    )
    return state


def audit_since(last_id: int) -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEvent.action).where(AuditEvent.id > last_id).order_by(AuditEvent.id)
        )
    )


def _answer(response) -> str:
    """The response as the matrix writes outcomes: "404", "302 -> /login"."""
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} -> {urlsplit(response.headers['Location']).path}"
    return str(response.status_code)


@dataclass(frozen=True)
class Cell:
    route: str
    viewer: str
    wanted: str
    got: str
    before: dict[str, Any]
    after: dict[str, Any]
    audited: list[str]


def _fill(value: str | list[str], values: dict[str, object]) -> str | list[str]:
    if isinstance(value, list):
        return [item.format(**values) for item in value]
    return value.format(**values)


def run_cell(world: World, route: str, viewer: str) -> Cell:
    """Make one request as one viewer on their own event; what it answered and changed."""
    method, path, form = ROUTES[route]
    setting = world.setting(shared=viewer == RESEARCHER_SHARED) if "{event}" in path else None
    values = world.values(setting)
    client = world.client_for(viewer)  # logged in (an audited login) before the snapshot
    before = snapshot(setting.event if setting else None)
    url = path.format(**values)
    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, {k: _fill(v, values) for k, v in form.items()})
    after = snapshot(setting.event if setting else None)
    newest = db.session.scalar(db.select(db.func.max(Event.id)))
    wanted = EXPECTED[route][VIEWERS.index(viewer)].format(new_event=newest, **values)
    return Cell(
        route, viewer, wanted, _answer(response), before, after, audit_since(before["audit"])
    )


def problems_of(cell: Cell) -> list[str]:
    """Everything wrong with one cell, apart from its answer."""
    method = ROUTES[cell.route][0]
    name = f"{cell.route} as {cell.viewer}"
    allowed = cell.wanted not in REFUSED and cell.wanted != TO_LOGIN
    found = []
    if not allowed:
        if cell.after != {**cell.before, "audit": cell.after["audit"]}:
            found.append(f"{name} was refused but changed something")
        if cell.audited:
            found.append(f"{name} was refused but wrote audit events {cell.audited}")
    elif method == "POST" and cell.got == cell.wanted:
        check, audit = EFFECTS[cell.route]
        if not check(cell.before, cell.after):
            found.append(f"{name} answered {cell.got} but did not do what it says")
        if audit is not None and audit not in cell.audited:
            found.append(f"{name} wrote no {audit} audit event (wrote {cell.audited})")
    return found


# --- The web matrix -----------------------------------------------------------------------


@pytest.mark.parametrize("route", list(ROUTES))
def test_event_routes_answer_each_viewer_by_the_rules(world, route):
    """Every viewer for one route, each on a fresh event; all mismatches listed together."""
    mismatches = []
    for viewer in VIEWERS:
        cell = run_cell(world, route, viewer)
        if cell.got != cell.wanted:
            mismatches.append(f"{route} as {viewer}: wanted {cell.wanted}, got {cell.got}")
        mismatches.extend(problems_of(cell))
    assert not mismatches, "\n".join(mismatches)


# --- What each viewer is shown ------------------------------------------------------------


def test_shared_event_shows_researchers_its_actions_and_nothing_of_its_pack(world):
    setting = world.setting(shared=True)
    page = world.client_for(RESEARCHER_SHARED).get(f"/events/{setting.event}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for shown in ("Spring conversation", "The allotment hut", "03 April 2031", YOU_SAID, WE_WILL):
        assert shown in body, shown
    for hidden in (
        DISCUSSION,
        AUDIENCE,
        EVENT_NOTES,
        world.people[FACILITATOR].display_name,
        "The pack",
        f"/events/{setting.event}/pack",
        f"/events/{setting.event}/digest",
        f"/events/{setting.event}/manifests/",
        f"/events/{setting.event}/edit",
        f"/events/{setting.event}/actions/{setting.action}",
        f"/events/{setting.event}/share",
        f"/events/{setting.event}/discussion",
        f'action="/events/{setting.event}/actions"',
        public_id(world.story.id),
        QUOTED,
        "runner beans",
    ):
        assert hidden not in body, hidden


def test_shared_actions_page_lists_only_shared_events(world):
    shared = world.setting(shared=True)
    unshared = world.setting()
    db.session.get(Event, unshared.event).title = "A private planning day"
    db.session.commit()
    researcher = world.client_for(RESEARCHER)
    body = researcher.get("/events/shared-actions").get_data(as_text=True)
    assert f"/events/{shared.event}" in body
    assert YOU_SAID in body and WE_WILL in body
    assert f"/events/{unshared.event}" not in body
    assert "A private planning day" not in body
    assert DISCUSSION not in body and QUOTED not in body and "runner beans" not in body
    assert researcher.get(f"/events/{unshared.event}").status_code == 404


def test_researcher_sees_nothing_before_an_admin_shares_and_the_event_after(world):
    setting = world.setting()
    researcher = world.client_for(RESEARCHER)
    assert researcher.get(f"/events/{setting.event}").status_code == 404
    assert "Spring conversation" not in researcher.get("/events/shared-actions").text
    admin = world.client_for(ADMIN)
    shared = post_form(admin, f"/events/{setting.event}/share", {"shared": "yes"})
    assert _answer(shared) == f"302 -> /events/{setting.event}"
    assert researcher.get(f"/events/{setting.event}").status_code == 200
    assert "Spring conversation" in researcher.get("/events/shared-actions").text
    assert researcher.get(f"/events/{setting.event}/pack").status_code == 403
    stopped = post_form(admin, f"/events/{setting.event}/share", {"shared": "no"})
    assert _answer(stopped) == f"302 -> /events/{setting.event}"
    assert researcher.get(f"/events/{setting.event}").status_code == 404
    assert researcher.get(f"/events/{setting.event}/pack").status_code == 404
    assert audit_since(0).count("actions_shared") == 2


def _without_token(response) -> str:
    return re.sub(
        r'(name="csrf-token" content=|value=)"[^"]*"', r'\1""', response.get_data(as_text=True)
    )


@pytest.mark.parametrize("viewer", [OWNER, RESEARCHER])
def test_a_hidden_event_gives_the_same_page_as_a_missing_one(world, viewer):
    """A 404 for an event one may not know of must not hint that it exists."""
    setting = world.setting()
    client = world.client_for(viewer)
    for path in ("", "/pack", "/pack.pdf", f"/actions/{setting.action}"):
        hidden = client.get(f"/events/{setting.event}{path}")
        missing = client.get(f"/events/999999{path}")
        assert hidden.status_code == missing.status_code == 404, path
        # Equal apart from the CSRF token, whose signature carries the second it was made.
        assert _without_token(hidden) == _without_token(missing), path
        assert "Spring conversation" not in hidden.get_data(as_text=True)


def test_ids_from_another_event_answer_404(world):
    """A quote, action, suggestion or manifest of one event is not reachable through another."""
    mine = world.setting()
    other = world.setting()
    client = world.client_for(FACILITATOR)
    before = snapshot(other.event)
    e = mine.event
    answers = {
        "manifest": _answer(client.get(f"/events/{e}/manifests/{other.render}.json")),
        "action_page": _answer(client.get(f"/events/{e}/actions/{other.action}")),
        "remove_quote": _answer(post_form(client, f"/events/{e}/pack/quotes/{other.quote}/remove")),
        "accept": _answer(
            post_form(client, f"/events/{e}/pack/suggestions/{other.suggestion}/accept")
        ),
        "quotes_page": _answer(
            client.get(f"/events/{e}/pack/stories/{public_id(world.candidate.id)}/quotes")
        ),
        "missing_event": _answer(client.get("/events/999999")),
    }
    assert answers == {
        "manifest": "404",
        "action_page": "404",
        "remove_quote": "404",
        "accept": "404",
        "quotes_page": "404",
        "missing_event": "404",
    }
    after = snapshot(other.event)
    assert after == {**before, "audit": after["audit"]}


USE_HEADING = "Where this story was used"

# Who is shown the story's page, and on it where the story was used (written out).
STORY_PAGE: dict[str, tuple[str, bool]] = {
    OWNER: (OK, True),
    OTHER_REPORTER: (HIDDEN, False),
    FACILITATOR: (OK, False),
    RESEARCHER: (OK, False),
    RESEARCHER_SHARED: (OK, False),
    ADMIN: (OK, True),
    ANONYMOUS: (TO_LOGIN, False),
}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_where_a_story_was_used_shows_only_to_its_reporter_and_admins(world, viewer):
    setting = world.setting(shared=viewer == RESEARCHER_SHARED)
    response = world.client_for(viewer).get(f"/stories/{public_id(world.story.id)}")
    status, sees_use = STORY_PAGE[viewer]
    assert _answer(response) == status
    body = response.get_data(as_text=True)
    for text in (USE_HEADING, "Spring conversation", YOU_SAID, WE_WILL):
        assert (text in body) == sees_use, text
    if status != OK:
        assert "allotment" not in body
    assert f"/events/{setting.event}/pack" not in body


def test_a_story_in_no_pack_shows_no_use_to_its_reporter(world):
    world.setting()
    body = (
        world.client_for(OWNER)
        .get(f"/stories/{public_id(world.candidate.id)}")
        .get_data(as_text=True)
    )
    assert USE_HEADING not in body
    assert "Spring conversation" not in body


def test_a_new_event_link_carries_its_id(world):
    """The TO_NEW_PACK answer names the event just made, not an older one."""
    world.setting()
    client = world.client_for(ADMIN)
    response = post_form(
        client,
        "/events/new",
        {
            "title": "Winter conversation",
            "held_on": "2031-12-01",
            "place": "The hall",
            "facilitator_id": str(world.people[FACILITATOR].id),
        },
    )
    event_id = int(re.fullmatch(r"/events/(\d+)/pack", urlsplit(response.location).path)[1])
    assert db.session.get(Event, event_id).title == "Winter conversation"


@pytest.mark.parametrize("route", ["add_story", "remove_quote"])
def test_pack_forms_redirect_only_to_this_site(world, route):
    setting = world.setting()
    values = world.values(setting)
    _, path, form = ROUTES[route]
    response = post_form(
        world.client_for(FACILITATOR),
        path.format(**values),
        {**{k: _fill(v, values) for k, v in form.items()}, "next": "https://elsewhere.example/x"},
        headers={"Referer": "https://elsewhere.example/phish"},
    )
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")
