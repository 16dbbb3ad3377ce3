"""The research API's answers: search, one story, the codebook and theme counts.

Only approved stories whose current consent allows research are ever answered, and only
their anonymised text: never a title, a pseudonym or an original.
"""

from __future__ import annotations

import json

import pytest

from storybank.api.tokens import create_token
from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.privacy.services import ConsentUses
from storybank.privacy.services import change_consent
from tests.api.conftest import bearer
from tests.conftest import public_id

GARDEN = "The allotment helped me more than anything. Growing beans gave my week a shape."
KETTLE = "My supervisor trusted me with the kettle rota, which sounds small but mattered."
BUSES = "Two buses to every appointment, and the buses were late again and again."
NAMED = "I met Margaret Thompson at the allotment in Sheffield last spring."
TITLE, PSEUDONYM = "A bike for work", "Robin"  # what the factories give every story


def _no_identifying_fields(body: str) -> None:
    assert TITLE not in body and PSEUDONYM not in body
    for key in ("title", "pseudonym", "original", "storyteller"):
        assert f'"{key}' not in body


def test_search_finds_stories_with_plain_snippets_and_offsets(api, publish):
    garden = publish(GARDEN, themes=("community",))
    publish(KETTLE)
    response = api("/stories?q=allotment")
    assert response.status_code == 200 and response.is_json
    body = response.json
    assert (body["total"], body["page"], body["pages"], body["ranked_within"]) == (1, 1, 1, None)
    [hit] = body["results"]
    assert hit["story_id"] == public_id(garden.id)
    assert hit["themes"] == [{"key": "community", "name": "Community and belonging"}] or [
        t["key"] for t in hit["themes"]
    ] == ["community"]
    assert hit["source"] == "text" and hit["voice"] == "person_on_probation"
    assert hit["site"]["id"] == garden.site_id and hit["word_count"] > 5
    assert hit["highlights"]
    for start, end in hit["highlights"]:
        assert hit["snippet"][start:end].lower() == "allotment"
    assert "\x02" not in hit["snippet"] and "\x03" not in hit["snippet"]
    _no_identifying_fields(response.get_data(as_text=True))


def test_search_takes_the_pages_parameters_and_gives_facets(api, publish, factories):
    north, south = factories.site("North"), factories.site("South")
    publish(GARDEN, themes=("community",), site=north, voice="peer_mentor")
    publish(KETTLE, themes=("trust", "community"), site=north)
    publish(BUSES, themes=("trust",), site=south, voice="staff")
    body = api(f"/stories?site={north.id}&sort=oldest&per_page=1").json
    assert (body["total"], body["pages"], len(body["results"])) == (2, 2, 1)
    assert body["query"]["sites"] == [north.id] and body["query"]["sort"] == "oldest"
    sites = {f["label"]: (f["count"], f["selected"]) for f in body["facets"]["site"]}
    assert sites == {"North": (2, True), "South": (1, False)}
    themes = {f["value"]: f["count"] for f in body["facets"]["theme"]}
    assert themes == {"community": 2, "trust": 1}
    second = api(f"/stories?site={north.id}&sort=oldest&per_page=1&page=2").json
    assert second["results"][0]["story_id"] != body["results"][0]["story_id"]
    both = api("/stories?theme=trust&theme=community").json
    assert both["total"] == 1
    assert api("/stories?voice=staff&type=personal&source=text&length=short").json["total"] == 1


def test_one_story_gives_its_anonymised_text_and_is_audited(api, publish, secret):
    story = publish(NAMED, themes=("community",))
    response = api(f"/stories/{public_id(story.id)}")
    assert response.status_code == 200
    body = response.json
    assert "[PERSON" in body["text"] and "Thompson" not in body["text"]
    assert body["story_id"] == public_id(story.id) and [t["key"] for t in body["themes"]] == [
        "community"
    ]
    _no_identifying_fields(response.get_data(as_text=True))
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "api_story_read"))
    assert (event.target_type, event.target_id) == ("story", story.id)
    assert "allotment" not in str(event.details) and set(event.details) == {"token"}


@pytest.mark.parametrize(
    "story_id", ["0", "1", "abc", "99999999", "99999999999", "1.5", "-1", "²", "a" * 13, "a" * 200]
)
def test_no_such_story_is_a_json_404(api, story_id):
    response = api(f"/stories/{story_id}")
    assert response.status_code == 404 and response.is_json


def test_a_story_not_approved_is_not_found(api, factories):
    story = factories.story(factories.user("reporter"), status="in_review", text=GARDEN)
    assert api(f"/stories/{public_id(story.id)}").status_code == 404
    assert api("/stories").json["total"] == 0


def _everything(api, story_id: int) -> list[str]:
    """Every answer the API gives (without the query it echoes), as text."""
    paths = [
        "/stories", "/stories?q=allotment", "/stories?q=beans&theme=community",
        f"/stories/{public_id(story_id)}", "/themes/counts", "/themes/counts?q=allotment",
    ]  # fmt: skip
    answers = []
    for path in paths:
        body = api(path).json
        body.pop("query", None)
        answers.append(json.dumps(body))
    return answers


def test_stories_without_research_consent_never_appear(app, api, publish, factories):
    app.config["SMALL_COUNT_THRESHOLD"] = 1
    refused = publish(GARDEN, themes=("community",), consent=factories.consent(research=False))
    narrowed = publish(GARDEN + " Also courgettes.", themes=("community",))
    kept = publish(KETTLE, themes=("trust",))
    assert api(f"/stories/{public_id(narrowed.id)}").status_code == 200  # before it is narrowed
    change_consent(publish.reporter, narrowed.id, ConsentUses(True, False, False))
    for story in (refused, narrowed):
        assert api(f"/stories/{public_id(story.id)}").status_code == 404
        answers = _everything(api, story.id)
        assert all("allotment" not in answer and "beans" not in answer for answer in answers)
    listed = api("/stories").json
    assert [hit["story_id"] for hit in listed["results"]] == [public_id(kept.id)]
    assert api("/stories?q=allotment").json["total"] == 0
    counts = {t["key"]: t["count"] for t in api("/themes/counts").json["themes"]}
    assert counts["community"] == 0 and counts["trust"] == 1
    facet_themes = {f["value"] for f in listed["facets"]["theme"]}
    assert facet_themes == {"trust"}


def test_the_codebook_lists_every_theme_with_its_definition(api):
    body = api("/codebook").json
    assert body["version"] >= 1
    keys = [theme["key"] for theme in body["themes"]]
    assert {"trust", "choice", "community"} <= set(keys)
    for theme in body["themes"]:
        assert theme["name"] and theme["definition"] and isinstance(theme["indicators"], list)


def test_theme_counts_suppress_small_numbers(app, api, publish):
    publish(GARDEN, themes=("community",))
    publish(KETTLE, themes=("trust", "community"))
    publish(BUSES, themes=("community",))
    body = api("/themes/counts").json
    assert body["threshold"] == 5
    counts = {t["key"]: (t["count"], t["label"]) for t in body["themes"]}
    assert counts["community"] == (None, "fewer than 5")
    assert counts["trust"] == (None, "fewer than 5")
    assert counts["choice"] == (0, "0")  # zero picks out nobody
    assert body["total"] == {"count": None, "label": "fewer than 5"}
    app.config["SMALL_COUNT_THRESHOLD"] = 2
    body = api("/themes/counts").json
    counts = {t["key"]: (t["count"], t["label"]) for t in body["themes"]}
    assert counts["community"] == (3, "3") and counts["trust"] == (None, "fewer than 2")
    assert body["total"] == {"count": 3, "label": "3"}
    filtered = api("/themes/counts?theme=trust").json
    counts = {t["key"]: t["count"] for t in filtered["themes"]}
    assert filtered["query"]["themes"] == ["trust"]
    assert counts["community"] is None and counts["choice"] == 0  # one story with both


@pytest.mark.parametrize(
    "query, field",
    [
        ("sort=loudest", "sort"),
        ("page=0", "page"),
        ("page=10001", "page"),
        ("per_page=500", "per_page"),
        ("per_page=ten", "per_page"),
        ("from=2026-13-01", "from"),
        ("from=2026-02-01&to=2026-01-01", "date_from"),
        ("site=abc", "site"),
        ("site=99999999999", "site"),
        ("theme=Bad%20Key", "theme"),
        ("voice=robot", "voice"),
        ("type=poem", "type"),
        ("source=video", "source"),
        ("length=huge", "length"),
        ("q=" + "+".join(["word"] * 13), "q"),
        ("q=" + "x" * 301, "q"),
        ("page=1&page=2", "page"),
    ],
)
def test_bad_parameters_are_a_400_that_says_what_is_wrong(api, query, field):
    for path in ("/stories", "/themes/counts"):
        if path == "/themes/counts" and field in {"sort", "page", "per_page"}:
            continue  # counts take only the filters
        response = api(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        error = response.json["error"]
        assert error["status"] == 400 and error["message"] and error["field"] == field


def test_other_paths_and_methods_answer_json(api, client, secret):
    assert api("/nowhere").status_code == 404 and api("/nowhere").is_json
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/stories", headers=bearer(secret))
        assert response.status_code == 405 and response.is_json, method
        assert "GET" in response.headers["Allow"]


def test_answers_are_private_json_without_cookies(api):
    response = api("/codebook")
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers


def test_each_token_has_its_own_rate_limit(make_app, factories):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    researcher = factories.user("researcher")
    first = create_token(researcher, "first").secret
    second = create_token(researcher, "second").secret
    statuses = [client.get("/api/v1/codebook", headers=bearer(first)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/stories", headers=bearer(first))
    assert refused.status_code == 429 and refused.is_json
    assert "3 per minute" in refused.json["error"]["message"]
    assert client.get("/api/v1/codebook", headers=bearer(second)).status_code == 200
