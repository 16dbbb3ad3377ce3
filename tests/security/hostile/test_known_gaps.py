"""Gaps the hostile corpora found (a 500 on PostgreSQL), now closed: a theme name longer than its
column is refused with a message, and no text column keeps a NUL; a form holding one is refused."""

from __future__ import annotations

from datetime import date

import pytest

from storybank.core.errors import InvalidInput
from storybank.curate import events as event_services
from storybank.curate.models import Event
from storybank.extensions import db
from storybank.tag.services import save_theme
from tests.conftest import post_form


def test_a_theme_name_over_80_characters_is_refused_with_a_message(factories):
    admin = factories.user("admin")
    with pytest.raises(InvalidInput, match="80 characters"):
        save_theme(
            admin,
            key="long_name",
            name="A theme about gardens, allotments and the people who share the tools " * 2,
            definition="Growing things with other people.",
            indicators=[],
            positive_examples=[],
            negative_examples=[],
        )


def test_a_nul_typed_into_event_notes_is_removed_or_refused(factories):
    facilitator = factories.user("facilitator")
    details = event_services.EventDetails(
        title="Spring conversation",
        held_on=date(2031, 4, 3),
        place="The allotment hut",
        facilitator_id=facilitator.id,
        audience="",
        notes="Bring the trowels\x00 and the seed tins.",
    )
    try:
        event = event_services.create_event(facilitator, details)
    except InvalidInput:
        return
    except Exception:
        db.session.rollback()
        raise
    assert "\x00" not in db.session.get(Event, event.id).notes


def test_a_form_or_query_holding_a_nul_is_refused_with_a_message_and_saves_nothing(
    client, factories, login_as
):
    login_as(factories.user("facilitator"))
    searched = client.get("/events/?q=trow%00els")
    assert searched.status_code == 400 and "NUL" in searched.get_data(as_text=True)
    before = db.session.query(Event).count()
    response = post_form(
        client,
        "/events/new",
        {"title": "Spring\x00 talk", "held_on": "2031-04-03", "place": "Hut"},
    )
    assert response.status_code == 400 and "Nothing was saved" in response.get_data(as_text=True)
    assert db.session.query(Event).count() == before
