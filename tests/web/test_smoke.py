"""The text path end to end through the web: submit, pipeline, review, approve."""

from __future__ import annotations

from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import post_form
from tests.conftest import public_id
from tests.search.conftest import publish  # noqa: F401


def test_reporter_submits_and_facilitator_approves(client, factories, login_as):
    reporter = factories.user("reporter")
    facilitator = factories.user("facilitator")
    site = factories.site()
    login_as(reporter)
    page = client.get("/stories/new")
    assert page.status_code == 200
    response = post_form(
        client,
        "/stories/new",
        {
            "title": "Trusted at last",
            "story_type": "snapshot",
            "voice": "peer_mentor",
            "site_id": str(site.id),
            "storyteller_pseudonym": "Sky",
            "consent_processing": "y",
            "consent_events": "y",
            "consent_given_on": "2026-11-01",
            "text": "My case manager listened to me.",
            "submission_key": "key-one",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    story = db.session.scalar(db.select(Story))
    assert story.status == "in_review"
    post_form(client, "/logout")
    login_as(facilitator)
    queue = client.get("/review/").get_data(as_text=True)
    assert "Trusted at last" in queue
    review = client.get(f"/review/{public_id(story.id)}").get_data(as_text=True)
    assert "My case manager listened to me." in review
    # Approval waits for the redactions to be signed off.
    assert post_form(client, f"/review/{public_id(story.id)}/approve").status_code == 409
    assert (
        post_form(client, f"/review/{public_id(story.id)}/redactions/sign-off").status_code == 302
    )
    response = post_form(client, f"/review/{public_id(story.id)}/approve")
    assert response.status_code == 302
    db.session.refresh(story)
    assert story.status == "approved"


def test_my_stories_lists_only_mine_with_each_stage(client, factories, login_as):
    reporter = factories.user("reporter")
    other = factories.user("reporter")
    factories.story(reporter, title="Mine to see")
    factories.story(other, title="Somebody else's")
    login_as(reporter)
    page = client.get("/stories/").get_data(as_text=True)
    assert "Mine to see" in page
    assert "Somebody else" not in page
    assert "In review" in page
    assert 'class="stage stage-done"' in page
    assert "Checking the upload" in page and "Done" in page


def test_every_page_names_an_icon_and_favicon_ico_finds_it(client):
    login = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg"' in login
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_a_researcher_sees_confirmed_themes_but_no_pipeline_or_rejected_themes(
    client,
    factories,
    login_as,
    publish,  # noqa: F811
):
    """Progress bars and rejected suggestions mean nothing to a researcher; the reporter
    and admins still see them."""
    story = publish(
        "The hostel key worker trusted me to run the breakfast club.", themes=("trust",)
    )
    for who in ("researcher", "admin"):
        login_as(factories.user(who))
        page = client.get(f"/stories/{public_id(story.id)}").get_data(as_text=True)
        assert "Trust" in page
        if who == "researcher":
            assert "<h2>Progress</h2>" not in page and "Checking the upload" not in page
            assert "Rejected" not in page and "<meter" not in page
        else:
            assert "<h2>Progress</h2>" in page and "Rejected" in page
        post_form(client, "/logout")
