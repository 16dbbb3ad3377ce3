"""Every payload of the XSS corpus, typed into every text field a person can fill in, is shown
as text on every page and in every JSON answer that shows it: nothing on a page can run.

The corpus goes through in chunks. Each chunk builds one world through the real services:
payloads one to a row in the short fields (story titles, pseudonyms, site names, display names,
event titles and places, token names, list entries, search boxes), a few to a field in the
others (storyteller names, action owners, redaction phrases, six theme names), and the chunk's
payloads together in every long field (the story itself, notes, audience, reasons, summaries,
prompts, discussion, actions, theme descriptions and examples, the reviewer's note).
Then each page is read as a browser would read it (tests/security/hostile/dom.py).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from dataclasses import field
from datetime import date

import pytest
from flask import url_for

from storybank.anonymise import lists as list_services
from storybank.anonymise.services import add_redaction_for_phrase
from storybank.anonymise.services import released_text
from storybank.api.tokens import create_token
from storybank.charts.services import CHARTS
from storybank.core.errors import InvalidInput
from storybank.curate import actions as action_services
from storybank.curate import builder
from storybank.curate import events as event_services
from storybank.curate import quotes
from storybank.extensions import db
from storybank.pipeline import services as pipeline_services
from storybank.stories.models import Story
from storybank.stories.services import approve_story
from storybank.stories.services import return_story
from storybank.tag.services import save_theme
from tests.conftest import login
from tests.security.hostile.dom import read_page
from tests.security.hostile.dom import shows_literally
from tests.security.hostile.xss_corpus import xss_payloads

PAYLOADS = xss_payloads()
CHUNK = int(__import__("os").environ.get("HOSTILE_CHUNK", "48"))
THEMES = 6
THEME_NAME_LIMIT = 80  # the column's; save_theme does not check it (test_known_gaps.py)
CHUNKS = [PAYLOADS[i : i + CHUNK] for i in range(0, len(PAYLOADS), CHUNK)]
OPENING = "The community garden opened on a wet Tuesday and the kettle was already on."
CLOSING = "Afterwards we swept the floor and stacked the chairs by the door."


def joined(chunk: list[str]) -> str:
    return "\n".join(chunk)


def story_body(chunk: list[str]) -> str:
    return "\n".join([OPENING, *(f"Someone wrote {p} on the board." for p in chunk), CLOSING])


def first_accepted(make, values):
    """Return what the service made of the first value it accepts, trimming as a person would."""
    for value in values:
        try:
            return make(value)
        except InvalidInput:
            continue
    raise AssertionError("the service refused every value")


@dataclass
class Pages:
    """Every page read, by who read it; and everything the world must show literally."""

    read: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def check(self, client, url: str, who: str) -> str:
        response = client.get(url)
        # A search the app cannot run answers 400 with a message; that page is checked too.
        allowed = (200, 400) if "?q=" in url else (200,)
        assert response.status_code in allowed, (who, url, response.status_code)
        page = response.get_data(as_text=True)
        if response.mimetype in ("text/html", "image/svg+xml"):
            found = read_page(page).problems
            if found:
                self.problems[f"{who} {url}"] = found
        self.read[f"{who} {url}"] = page
        return page


class World:
    """One chunk of payloads in every field, made through the services."""

    def __init__(self, factories, chunk: list[str], monkeypatch) -> None:
        self.f = factories
        # The story body keeps NUL (its sanitiser removes it); other fields get the payloads
        # without it, since they do not remove it and PostgreSQL refuses it (test_known_gaps.py).
        self.raw_chunk = chunk
        chunk = [payload.replace("\x00", "") for payload in chunk]
        self.chunk = chunk
        f = factories
        self.admin = f.user("admin")
        self.reporter = f.user("reporter")
        self.facilitator = f.user("facilitator")
        self.researcher = f.user("researcher")
        for who, payload in zip(
            (self.admin, self.reporter, self.facilitator, self.researcher), chunk, strict=False
        ):
            who.display_name = payload.strip()[:120] or who.display_name
        db.session.commit()
        self.people = [
            f.user("reporter", email=f"hostile{n}@example.org") for n in range(len(chunk))
        ]
        for person, payload in zip(self.people, chunk, strict=True):
            person.display_name = payload.strip()[:120] or person.display_name
        db.session.commit()
        # A payload that loses its NUL may repeat another, and site names are unique.
        self.sites = [
            first_accepted(f.site, (p, p.strip()[:120], f"{p.strip()[:110]} ({n})"))
            for n, p in enumerate(chunk)
        ]
        self.story = self._story(chunk[0], chunk[1 % len(chunk)], chunk[2 % len(chunk)])
        self.returned = self._returned()
        self.in_review = self.f.story(
            self.reporter, text=OPENING, title=chunk[3].strip()[:200] or "A title"
        )
        # Stories that only carry a title and a pseudonym need no pipeline: their jobs stay queued.
        with monkeypatch.context() as patch:
            patch.setattr(pipeline_services, "_enqueue_after_commit", lambda job_ids: None)
            self.titled = [self._titled(p) for p in chunk]
        approve_story(self.admin, self.story.id)
        # Themes last: a new theme's classifier is fitted when a story is next tagged (slow).
        self.themes = self._themes()
        self.event, self.action = self._event()
        self.events = [self._small_event(p) for p in chunk]
        for payload in chunk:
            with contextlib.suppress(InvalidInput):  # a payload too long for a list entry
                list_services.add_entry(self.admin, "keep", payload)
            create_token(self.researcher, payload.strip()[:80] or "token")

    def _themes(self) -> list[str]:
        """A few themes (each one costs every story page a pass), the payloads shared out."""
        keys = []
        for n in range(THEMES):
            share = self.chunk[n::THEMES]
            key = f"hostile_{n}"
            save_theme(
                self.admin,
                key=key,
                name=" ".join(share).strip()[:THEME_NAME_LIMIT] or "A theme",
                definition=joined(share),
                indicators=share,
                positive_examples=share,
                negative_examples=share,
            )
            keys.append(key)
        return keys

    def _story(self, title: str, pseudonym: str, name: str) -> Story:
        f = self.f
        story = f.story(
            self.reporter,
            signed_off=True,
            title=title.strip()[:200] or "A title",
            storyteller_pseudonym=pseudonym.strip()[:80] or "Wren",
            consent=f.consent(storyteller_name=name.strip()[:120]),
            site=self.sites[0],
            text=story_body(self.raw_chunk),
        )
        for payload in self.chunk[:5]:
            with contextlib.suppress(InvalidInput):  # a phrase the story does not hold
                add_redaction_for_phrase(self.facilitator, story.id, payload, "PERSON")
        self.f.sign_off(story)
        return story

    def _returned(self) -> Story:
        story = self.f.story(self.reporter, text=OPENING + " " + CLOSING, site=self.sites[-1])
        return return_story(self.facilitator, story.id, joined(self.chunk))

    def _titled(self, payload: str) -> Story:
        """A story whose title and pseudonym are one payload, left in review."""
        story = self.f.story(
            self.reporter,
            title=payload.strip()[:200] or "A title",
            storyteller_pseudonym=payload.strip()[:80] or "Wren",
            text=OPENING,
        )
        return story

    def _event(self):
        chunk = self.chunk
        facilitator = self.facilitator
        event = event_services.create_event(
            facilitator,
            event_services.EventDetails(
                title=chunk[0].strip()[:200] or "An event",
                held_on=date(2031, 4, 3),
                place=chunk[-1].strip()[:200] or "A hall",
                facilitator_id=facilitator.id,
                audience=joined(chunk)[:2000],
                notes=joined(chunk),
            ),
        )
        builder.save_pack_plan(
            facilitator,
            event.id,
            self.themes,
            {key: joined(self.chunk[n::THEMES]) for n, key in enumerate(self.themes)},
            joined(chunk),
        )
        builder.add_story_to_pack(facilitator, event.id, self.story.id, joined(chunk)[:2000])
        builder.save_story_notes(
            facilitator, event.id, self.story.id, joined(chunk)[:2000], joined(chunk)[:3000]
        )
        released = released_text(self.story)
        assert released is not None
        for payload in chunk[5:8]:
            passage = f"Someone wrote {payload} on the board."
            if passage in released.text:
                quotes.pick_quote(facilitator, event.id, self.story.id, passage, self.themes[0])
        action = action_services.add_action(
            facilitator,
            event.id,
            action_services.ActionDetails(
                you_said=joined(chunk),
                we_will=joined(chunk),
                owner=chunk[0].strip()[:200] or "Hub team",
                due_on=date(2031, 6, 1),
                we_did=joined(chunk),
                status="agreed",
                theme_keys=self.themes[:2],
                story_ids=[self.story.id],
            ),
        )
        event_services.record_discussion(facilitator, event.id, joined(chunk))
        event_services.share_actions(self.admin, event.id, True)
        return event, action

    def _small_event(self, payload: str):
        return event_services.create_event(
            self.facilitator,
            event_services.EventDetails(
                title=payload.strip()[:200] or "An event",
                held_on=date(2031, 5, 3),
                place=payload.strip()[:200] or "A hall",
                facilitator_id=self.facilitator.id,
                audience="",
                notes="",
            ),
        )

    def client(self, user):
        client = self.f.app.test_client()
        assert login(client, user.email).status_code == 302
        return client


def html_pages(world: World) -> dict[str, list[str]]:
    """Every page that shows what the world holds, by who may read it."""
    story, returned, event = world.story.id, world.returned.id, world.event.id
    search = [url_for("research.search", q=p) for p in world.chunk]
    return {
        "reporter": [
            url_for("stories.mine"),
            url_for("stories.new"),
            url_for("stories.detail", story_id=story),
            url_for("stories.original", story_id=story),
            url_for("stories.detail", story_id=returned),
            url_for("stories.resubmit", story_id=returned),
            url_for("privacy.consent", story_id=story),
            url_for("check.check", story_id=world.in_review.id),
            *(url_for("stories.detail", story_id=s.id) for s in world.titled[:2]),
        ],
        "facilitator": [
            url_for("review.queue"),
            url_for("review.review", story_id=world.in_review.id),
            url_for("anonymise.review", story_id=world.in_review.id),
            url_for("stories.library"),
            url_for("stories.detail", story_id=story),
            url_for("events.index"),
            url_for("events.new"),
            url_for("events.show", event_id=event),
            url_for("events.edit", event_id=event),
            url_for("events.pack", event_id=event),
            url_for("events.pick_quotes", event_id=event, story_id=story),
            url_for("events.digest", event_id=event),
            url_for("events.action", event_id=event, action_id=world.action.id),
        ],
        "researcher": [
            url_for("research.search"),
            *search,
            # Charts are slow to draw (a grid of every theme); the first chunk's themes are drawn.
            *(
                [url_for("charts.index")]
                + [url_for("charts.download", name=name) for name in CHARTS]
                if world.chunk == CHUNKS[0]
                else []
            ),
            url_for("exports.index"),
            url_for("events.shared_actions"),
            url_for("events.show", event_id=event),
            url_for("api_tokens.index"),
            url_for("stories.detail", story_id=story),
        ],
        "admin": [
            url_for("admin.users"),
            url_for("admin.user", user_id=world.people[0].id),
            url_for("admin.sites"),
            url_for("admin.audit_log"),
            url_for("admin.stories_list"),
            url_for("themes.codebook"),
            url_for("themes.agreement"),
            url_for("anonymise.lists"),
            url_for("exports.holding"),
            url_for("review.review", story_id=world.in_review.id),
        ],
    }


@pytest.mark.parametrize("chunk", range(len(CHUNKS)), ids=lambda n: f"chunk{n}")
def test_every_payload_in_every_field_is_inert_on_every_page(factories, monkeypatch, chunk):
    world = World(factories, CHUNKS[chunk], monkeypatch)
    pages = Pages()
    users = {
        "reporter": world.reporter,
        "facilitator": world.facilitator,
        "researcher": world.researcher,
        "admin": world.admin,
    }
    with factories.app.test_request_context():
        urls_by_role = html_pages(world)
    for who, urls in urls_by_role.items():
        client = world.client(users[who])
        for url in urls:
            pages.check(client, url, who)
    assert pages.problems == {}
    every_page = [read_page(page) for page in pages.read.values()]
    db.session.expire_all()
    shown = {
        "story title": db.session.get(Story, world.story.id).title,
        "event title": world.event.title,
        "pack notes": world.event.pack.facilitator_notes,
    }
    for payload in world.chunk:
        if payload.strip():
            shown[f"site {payload!r}"] = payload.strip()[:120]
    missing = [
        name
        for name, value in shown.items()
        if not any(shows_literally(p, value) for p in every_page)
    ]
    assert missing == []


def test_corpus_is_several_hundred_payloads():
    assert len(PAYLOADS) >= 300
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    print(f"XSS corpus: {len(PAYLOADS)} payloads")
    json.dumps(PAYLOADS)
