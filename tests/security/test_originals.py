"""Originals decided in one place: audio audited once per play, evidence never from the original,
local-only redirects, and the admin's list of all stories."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest

from storybank.anonymise.models import Redaction
from storybank.core.audit import AuditEvent
from storybank.core.redirects import local_path
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.stories.models import StoryAudio
from storybank.tag.models import StoryTheme
from storybank.tag.services import current_codebook
from tests.conftest import csrf_token
from tests.conftest import login
from tests.conftest import public_id

NAMED_TEXT = (
    "On Tuesday Bartholomew Quennell sat with me at the housing office and we filled in "
    "every form together. Afterwards I felt I could manage the rent on my own."
)
NAME = "Bartholomew Quennell"
SOUND = bytes(range(256)) * 40  # stands in for a recording: the service only sends bytes


def attach_audio(app, story: Story) -> bytes:
    """Give a story a stored 'recording' so its audio routes have something to send."""
    key = f"audio/test-{story.id}/original"
    app.extensions["storybank_storage"].save_stream(key, io.BytesIO(SOUND))
    story.audio = StoryAudio(
        original_key=key,
        original_sha256=hashlib.sha256(SOUND).hexdigest(),
        original_size=len(SOUND),
        container="wav",
        codec="pcm_s16le",
        duration=1.0,
        sample_rate=16000,
        channels=1,
    )
    db.session.commit()
    return SOUND


def audio_views(story: Story, actor_id: int | None = None) -> list[AuditEvent]:
    query = db.select(AuditEvent).where(
        AuditEvent.action == "view_original", AuditEvent.target_id == story.id
    )
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    return [e for e in db.session.scalars(query) if e.details.get("what", "").startswith("audio")]


def browser(app, user):
    """A browser of its own, logged in as the user."""
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


@pytest.fixture
def cast(factories):
    return {
        "reporter": factories.user("reporter"),
        "facilitator": factories.user("facilitator"),
        "admin": factories.user("admin"),
        "researcher": factories.user("researcher"),
    }


# --- Audio: once per play, however it is fetched ------------------------------------------


def test_a_range_reaching_the_whole_original_is_audited(app, factories, cast, login_as):
    story = factories.story(cast["reporter"])
    data = attach_audio(app, story)
    client = login_as(cast["admin"])
    response = client.get(
        f"/stories/{public_id(story.id)}/audio/original", headers={"Range": "bytes=0-99999999"}
    )
    assert response.status_code in (200, 206)
    assert response.data == data
    assert len(audio_views(story, cast["admin"].id)) == 1


@pytest.mark.parametrize("first_range", ["bytes=1-", "bytes=500-", "bytes=-100", "bytes=0-0"])
def test_a_play_that_never_asks_for_byte_zero_is_audited_all_the_same(
    app, factories, cast, login_as, first_range
):
    story = factories.story(cast["reporter"])
    attach_audio(app, story)
    client = login_as(cast["reporter"])
    response = client.get(
        f"/stories/{public_id(story.id)}/audio/original", headers={"Range": first_range}
    )
    assert response.status_code == 206
    assert len(audio_views(story)) == 1


def test_the_many_requests_of_one_play_write_one_event(app, factories, cast, login_as):
    story = factories.story(cast["reporter"])
    attach_audio(app, story)
    client = login_as(cast["facilitator"])
    for header in ({}, {"Range": "bytes=0-"}, {"Range": "bytes=100-199"}, {"Range": "bytes=9000-"}):
        assert client.get(
            f"/stories/{public_id(story.id)}/audio/original", headers=header
        ).status_code in (
            200,
            206,
        )
    assert len(audio_views(story)) == 1


def test_a_later_play_and_another_person_are_audited_again(app, factories, cast):
    story = factories.story(cast["reporter"])
    attach_audio(app, story)
    url = f"/stories/{public_id(story.id)}/audio/original"
    admin = browser(app, cast["admin"])
    admin.get(url, headers={"Range": "bytes=0-"})
    for event in audio_views(story):
        event.at = event.at - timedelta(minutes=11)  # the play ended long ago
    db.session.commit()
    admin.get(url, headers={"Range": "bytes=200-"})
    browser(app, cast["facilitator"]).get(url, headers={"Range": "bytes=200-"})
    assert len(audio_views(story, cast["admin"].id)) == 2
    assert len(audio_views(story, cast["facilitator"].id)) == 1


def test_a_refused_range_request_sends_nothing_and_audits_nothing(app, factories, cast, login_as):
    story = factories.story(cast["reporter"])
    attach_audio(app, story)
    response = login_as(cast["researcher"]).get(
        f"/stories/{public_id(story.id)}/audio/original", headers={"Range": "bytes=0-99999999"}
    )
    assert response.status_code == 404
    assert SOUND[:64] not in response.data
    assert audio_views(story) == []


# --- Theme evidence: from the anonymised text only ----------------------------------------


def _story_with_named_evidence(factories, reporter, signed_off: bool) -> Story:
    story = factories.story(reporter, text=NAMED_TEXT, signed_off=False)
    text = story.current_text
    start = NAMED_TEXT.index(NAME)
    names = [
        r
        for r in db.session.scalars(db.select(Redaction).where(Redaction.story_id == story.id))
        if r.start <= start < r.end
    ]
    if not names:  # the anonymiser missed it: a reviewer would add it, so add it here
        db.session.add(
            Redaction(
                story_id=story.id,
                text_version_id=text.id,
                start=start,
                end=start + len(NAME),
                label="PERSON",
                source="reviewer",
                confidence=1.0,
                status="proposed",
            )
        )
        db.session.commit()
    key = current_codebook().themes[0].key
    db.session.execute(db.delete(StoryTheme).where(StoryTheme.story_id == story.id))
    db.session.add(
        StoryTheme(
            story_id=story.id,
            theme_key=key,
            text_version_id=text.id,
            codebook_version=current_codebook().version,
            score=0.9,
            suggested=True,
            evidence=[{"start": 0, "end": NAMED_TEXT.index(".") + 1}],
        )
    )
    db.session.commit()
    if signed_off:
        factories.sign_off(story)
    return story


@pytest.mark.parametrize("signed_off", [False, True])
@pytest.mark.parametrize("role", ["admin", "facilitator", "reporter"])
def test_theme_evidence_never_quotes_the_original(factories, cast, login_as, role, signed_off):
    story = _story_with_named_evidence(factories, cast["reporter"], signed_off)
    client = login_as(cast[role])
    pages = [client.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)]
    if role != "reporter":
        review = client.get(f"/review/{public_id(story.id)}")
        assert review.status_code == 200
        pages.append(review.get_data(as_text=True).replace(NAMED_TEXT, ""))  # the audited text
    for page in pages:
        assert "Bartholomew" not in page and "Quennell" not in page
    assert re.search(r"On Tuesday \[[A-Z]+ ?\d*\] sat with me", pages[0])  # with its placeholder


def test_the_story_page_writes_no_view_of_the_original(factories, cast, login_as):
    story = _story_with_named_evidence(factories, cast["reporter"], signed_off=True)
    login_as(cast["admin"]).get(f"/stories/{public_id(story.id)}")
    views = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "view_original")
    ).all()
    assert views == []


# --- Redirects after deciding a theme: local paths only -----------------------------------

HOSTILE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_theme_decision_never_redirects_off_the_site(factories, cast, login_as, target):
    story = factories.story(cast["reporter"])
    client = login_as(cast["facilitator"])
    key = current_codebook().themes[0].key
    response = client.post(
        f"/stories/{public_id(story.id)}/themes/{key}/confirm",
        data={"csrf_token": csrf_token(client), "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/stories/{public_id(story.id)}"


def test_a_theme_decision_returns_to_a_local_page(factories, cast, login_as):
    story = factories.story(cast["reporter"])
    client = login_as(cast["facilitator"])
    key = current_codebook().themes[0].key
    response = client.post(
        f"/stories/{public_id(story.id)}/themes/{key}/confirm",
        data={
            "csrf_token": csrf_token(client),
            "next": f"/review/{public_id(story.id)}?tab=themes",
        },
    )
    assert response.headers["Location"] == f"/review/{public_id(story.id)}?tab=themes"


@pytest.mark.parametrize("target", [*HOSTILE, "", None, "https://localhost/review/1"])
def test_local_path_refuses_anything_but_a_path_here(target):
    assert local_path(target, "/fallback") == "/fallback"


# --- The admin's list of all stories ------------------------------------------------------


def test_admin_lists_every_story_and_filters_it(factories, cast, login_as):
    other = factories.user("reporter")
    mine = factories.story(cast["reporter"], title="Keys to a flat")
    site = factories.site("Harbour Street")
    theirs = factories.story(
        other, site=site, title="A warm coat", consent=factories.consent(research=False)
    )
    theirs.status = "approved"
    db.session.commit()
    client = login_as(cast["admin"])
    assert client.get("/stories/").headers["Location"].endswith("/admin/stories")
    page = client.get("/admin/stories").get_data(as_text=True)
    assert "Keys to a flat" in page and "A warm coat" in page
    cases = {
        "?status=approved": "A warm coat",
        f"?site={site.id}": "A warm coat",
        f"?reporter={cast['reporter'].id}": "Keys to a flat",
        "?consent=no_research": "A warm coat",
        "?consent=research": "Keys to a flat",
    }
    for query, title in cases.items():
        page = client.get("/admin/stories" + query).get_data(as_text=True)
        gone = ({"Keys to a flat", "A warm coat"} - {title}).pop()
        assert title in page and gone not in page, query
    assert client.get("/admin/stories?site=abc&page=-3&consent=zzz").status_code == 200
    assert mine.id and theirs.id


def test_admin_list_pages(factories, cast, login_as, monkeypatch):
    for number in range(3):
        factories.story(cast["reporter"], title=f"Paged story {number}")
    from storybank.admin import services as admin_services
    from storybank.stories import services as story_services

    real = story_services.list_all_stories
    monkeypatch.setattr(
        admin_services.stories,
        "list_all_stories",
        lambda actor, filters, page: real(actor, filters, page, per_page=2),
    )
    client = login_as(cast["admin"])
    first = client.get("/admin/stories").get_data(as_text=True)
    second = client.get("/admin/stories?page=2").get_data(as_text=True)
    assert "page 1 of 2" in first and "Paged story 2" in first and "Paged story 0" not in first
    assert "Paged story 0" in second and "Older" not in second


def test_opening_an_original_from_the_admin_list_is_audited(factories, cast, login_as):
    story = factories.story(cast["reporter"], title="Keys to a flat")
    client = login_as(cast["admin"])
    assert f"/stories/{public_id(story.id)}" in client.get("/admin/stories").get_data(as_text=True)
    assert client.get(f"/stories/{public_id(story.id)}/original").status_code == 200
    views = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.action == "view_original", AuditEvent.actor_id == cast["admin"].id
        )
    ).all()
    assert [event.target_id for event in views] == [story.id]
