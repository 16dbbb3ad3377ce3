"""A facilitator's whole job through the web: plan an event, build its pack from stories whose
consent allows events, pick quotes, print it, and see a withdrawn story leave at once."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from pypdf import PdfReader

from storybank.curate.models import Event
from storybank.curate.models import PackChange
from storybank.curate.models import PackQuote
from storybank.curate.models import PackRender
from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id

MARKER = "seventeen purple umbrellas"


def _approved(factories, reporter, text: str, **consent: bool) -> Story:
    story = factories.story(reporter, text=text, consent=factories.consent(**consent))
    db.session.refresh(story)
    story.status = "approved"
    db.session.commit()
    return story


@pytest.fixture
def people(factories):
    return {
        "reporter": factories.user("reporter"),
        "facilitator": factories.user("facilitator"),
        "researcher": factories.user("researcher"),
        "admin": factories.user("admin"),
    }


def _new_event(client, facilitator_id: int) -> int:
    response = post_form(
        client,
        "/events/new",
        {
            "title": "Spring conversation",
            "held_on": "2027-03-04",
            "place": "Community hall",
            "facilitator_id": str(facilitator_id),
            "audience": "People on probation, mentors and staff",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/events/(\d+)/pack", response.headers["Location"]).group(1))


def _docx_text(data: bytes) -> str:
    return "\n".join(paragraph.text for paragraph in Document(io.BytesIO(data)).paragraphs)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_builder_offers_only_approved_stories_whose_consent_allows_events(
    factories, people, login_as
):
    allowed = _approved(factories, people["reporter"], f"Walking helped me and {MARKER} too.")
    no_events = _approved(
        factories, people["reporter"], "The bus pass made it easier to attend.", events=False
    )
    in_review = factories.story(people["reporter"], text="The group on Tuesdays kept me going.")
    client = login_as(people["facilitator"])
    event_id = _new_event(client, people["facilitator"].id)
    page = client.get(f"/events/{event_id}/pack").get_data(as_text=True)
    assert f"Story {public_id(allowed.id)}<" in page
    assert f"Story {public_id(no_events.id)}<" not in page
    assert f"Story {public_id(in_review.id)}<" not in page
    refused = post_form(
        client, f"/events/{event_id}/pack/stories", {"story_id": public_id(no_events.id)}
    )
    assert refused.status_code == 302
    event = db.session.get(Event, event_id)
    assert [entry.story_id for entry in event.pack.entries] == []


def test_a_pack_is_built_printed_and_loses_a_withdrawn_story(app, factories, people, login_as):
    story = _approved(
        factories, people["reporter"], f"My mentor listened to me. The {MARKER} changed things."
    )
    other = _approved(factories, people["reporter"], "Choosing my own goals felt different.")
    client = login_as(people["facilitator"])
    event_id = _new_event(client, people["facilitator"].id)
    for item in (story, other):
        added = post_form(
            client,
            f"/events/{event_id}/pack/stories",
            {"story_id": public_id(item.id), "reason": "Hope"},
        )
        assert added.status_code == 302
    quote = post_form(
        client,
        f"/events/{event_id}/pack/stories/{public_id(story.id)}/quotes",
        {"passage": f"The {MARKER} changed things.", "theme": "trust"},
    )
    assert quote.status_code == 302, quote.get_data(as_text=True)
    pdf = client.get(f"/events/{event_id}/pack.pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    assert MARKER in _pdf_text(pdf.data)
    docx = client.get(f"/events/{event_id}/pack.docx")
    assert docx.status_code == 200 and MARKER in _docx_text(docx.data)
    digest = client.get(f"/events/{event_id}/digest").get_data(as_text=True)
    assert MARKER in digest

    db.session.expire_all()
    renders = db.session.scalars(db.select(PackRender)).all()
    manifest = next(r.manifest for r in renders if r.kind == "pdf")
    assert [s["story_id"] for s in manifest["stories"]] == [story.id, other.id]
    assert manifest["stories"][0]["quotes"][0]["theme"] == "trust"
    assert manifest["stories"][0]["consent_record_id"] == story.current_consent.id

    owner = app.test_client()
    assert login(owner, people["reporter"].email).status_code == 302
    narrowed = post_form(
        owner, f"/stories/{public_id(story.id)}/consent", {"events": "", "research": "y"}
    )
    assert narrowed.status_code in (302, 303), narrowed.get_data(as_text=True)

    db.session.expire_all()
    event = db.session.get(Event, event_id)
    assert [entry.story_id for entry in event.pack.entries] == [other.id]
    assert db.session.scalars(db.select(PackQuote)).all() == []
    change = db.session.scalars(db.select(PackChange)).one()
    assert f"Story {public_id(story.id)} was taken out" in change.reason
    assert all(r.storage_key is None for r in db.session.scalars(db.select(PackRender)))

    facilitator = client
    again = facilitator.get(f"/events/{event_id}/pack.pdf")
    assert MARKER not in _pdf_text(again.data)
    document = facilitator.get(f"/events/{event_id}/pack.docx")
    assert MARKER not in _docx_text(document.data)
    assert MARKER not in facilitator.get(f"/events/{event_id}/digest").get_data(as_text=True)
