"""Research search on whichever database the suite runs on (SQLite FTS5 or PostgreSQL).

Every test here runs on both: CI runs the suite once on each.
"""

from __future__ import annotations

from datetime import date

import pytest

from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.extensions import db
from storybank.privacy.services import ConsentUses
from storybank.privacy.services import change_consent
from storybank.privacy.services import erase_story
from storybank.search.backends import backend_for
from storybank.search.backends.base import all_conditions
from storybank.search.indexing import rebuild_index
from storybank.search.models import SearchDocument
from storybank.search.query import SearchQuery
from storybank.search.services import search_stories

GARDEN = "The allotment helped me more than anything. Growing beans gave my week a shape."
KETTLE = "My supervisor trusted me with the kettle rota, which sounds small but mattered."
BUSES = "Two buses to every appointment, and the buses were late again and again."


def found(actor, **fields) -> list[int]:
    return [hit.story_id for hit in search_stories(actor, SearchQuery(**fields)).hits]


@pytest.fixture
def researcher(factories):
    return factories.user("researcher")


def test_a_word_finds_the_stories_that_hold_it_and_stemming_matches_forms(publish, researcher):
    garden, kettle = publish(GARDEN), publish(KETTLE)
    assert found(researcher, text="allotment") == [garden.id]
    assert found(researcher, text="trust") == [kettle.id]  # "trusted" in the text
    assert found(researcher, text="allotment kettle") == []  # every word must occur
    assert found(researcher, text="volcano") == []


def test_a_phrase_must_occur_as_written_and_a_prefix_matches_longer_words(publish, researcher):
    buses, garden = publish(BUSES), publish(GARDEN)
    assert found(researcher, text='"buses were late"') == [buses.id]
    assert found(researcher, text='"late buses"') == []
    assert found(researcher, text="allot*") == [garden.id]
    assert found(researcher, text="appoint*") == [buses.id]


def test_an_empty_query_lists_everything_newest_first_and_oldest_on_request(publish, researcher):
    first, second = publish(GARDEN), publish(KETTLE)
    db.session.get(SearchDocument, first.id).approved_on = date(2025, 1, 1)
    db.session.commit()
    assert found(researcher) == [second.id, first.id]
    assert found(researcher, sort="oldest") == [first.id, second.id]


def test_snippets_mark_the_matching_words(publish, researcher):
    publish(BUSES)
    hit = search_stories(researcher, SearchQuery(text="appointment")).hits[0]
    marked = [text for text, is_match in hit.snippet if is_match]
    assert [text.lower() for text in marked] == ["appointment"]
    assert "".join(text for text, _ in hit.snippet).count("buses") >= 1


def test_a_story_approved_without_research_consent_is_never_indexed(publish, factories):
    researcher = factories.user("researcher")
    publish(GARDEN, consent=factories.consent(research=False))
    assert db.session.scalar(db.select(db.func.count()).select_from(SearchDocument)) == 0
    assert found(researcher, text="allotment") == []
    assert found(researcher) == []


def test_narrowing_consent_takes_the_story_out_at_once(publish, researcher):
    story, other = publish(GARDEN), publish(KETTLE)
    narrower = ConsentUses(events=True, research=False, audio_at_events=False)
    change_consent(publish.reporter, story.id, narrower)
    assert db.session.get(SearchDocument, story.id) is None
    assert found(researcher, text="allotment") == []
    assert found(researcher) == [other.id]
    rebuild_index()  # a rebuild does not bring it back
    assert found(researcher) == [other.id]


def test_erasure_removes_the_story_and_its_words(publish, researcher):
    story, other = publish(GARDEN), publish(KETTLE)
    assert found(researcher, text="beans") == [story.id]
    story_id = story.id
    erase_story(publish.admin, story_id)
    assert found(researcher, text="beans") == []
    assert db.session.get(SearchDocument, story_id) is None
    assert found(researcher) == [other.id]


def test_only_approved_stories_are_indexed(factories, publish, researcher):
    reporter = factories.user("reporter")
    factories.story(reporter, status="in_review", text=GARDEN)
    assert found(researcher, text="allotment") == []
    assert rebuild_index()[0] == 0


def test_facets_count_each_value_with_the_other_filters_applied(publish, researcher, factories):
    north, south = factories.site("North"), factories.site("South")
    publish(GARDEN, themes=("community",), site=north, voice="peer_mentor")
    publish(KETTLE, themes=("trust", "community"), site=north)
    publish(BUSES, themes=("trust",), site=south, voice="staff")
    results = search_stories(researcher, SearchQuery(site_ids=(north.id,)))
    assert results.total == 2
    sites = {f.label: (f.count, f.selected) for f in results.facets["site"]}
    assert sites == {"North": (2, True), "South": (1, False)}  # own filter not applied
    voices = {f.value: f.count for f in results.facets["voice"]}
    assert voices == {"peer_mentor": 1, "person_on_probation": 1}  # site filter applied
    themes = {f.value: f.count for f in results.facets["theme"]}
    assert themes == {"community": 2, "trust": 1}


def test_grouped_counts_match_words_and_filters_and_refuse_unknown_groups(publish, factories):
    north = factories.site("North")
    publish(GARDEN, themes=("community",), site=north)
    publish(BUSES, themes=("trust",), site=north, voice="staff")
    publish(KETTLE, themes=("trust",))
    backend = backend_for(db.session)
    query = SearchQuery(text="buses", site_ids=(north.id,))
    rows = backend.grouped_counts(query.terms, all_conditions(query), ("voice", "site"))
    assert rows == [("staff", north.id, 1)]
    month_rows = backend.grouped_counts((), all_conditions(SearchQuery()), ("month",))
    assert len(month_rows) == 1 and len(month_rows[0][0]) == 7 and month_rows[0][1] == 3
    with pytest.raises(ValueError):
        backend.grouped_counts((), all_conditions(SearchQuery()), ("body",))


def test_chosen_themes_must_all_be_present(publish, researcher):
    publish(GARDEN, themes=("community",))
    both = publish(KETTLE, themes=("trust", "community"))
    assert found(researcher, themes=("trust", "community")) == [both.id]
    assert len(found(researcher, themes=("community",))) == 2


def test_filters_for_source_length_type_and_dates(publish, researcher):
    short = publish(GARDEN, story_type="personal")
    long = publish(" ".join([KETTLE] * 70), story_type="dialogue")
    assert found(researcher, lengths=("short",)) == [short.id]
    assert found(researcher, lengths=("long",)) == [long.id]
    assert found(researcher, story_types=("dialogue",)) == [long.id]
    assert found(researcher, sources=("audio",)) == []
    assert len(found(researcher, sources=("text",))) == 2
    today = date.today()
    assert len(found(researcher, date_from=today, date_to=today)) == 2
    assert found(researcher, date_to=date(2000, 1, 1)) == []


def test_pages_split_the_results(publish, researcher):
    ids = {publish(f"{GARDEN} Week {n}.").id for n in range(3)}
    first = search_stories(researcher, SearchQuery(text="beans", per_page=2))
    second = search_stories(researcher, SearchQuery(text="beans", per_page=2, page=2))
    assert (first.total, first.pages, len(first.hits), len(second.hits)) == (3, 2, 2, 1)
    assert {h.story_id for h in first.hits + second.hits} == ids


def test_relevance_for_a_common_word_is_ranked_among_the_newest_matches(app, publish, researcher):
    app.config["SEARCH_RANK_CAP"] = 2
    ids = [publish(f"{GARDEN} Week {n}.").id for n in range(3)]
    results = search_stories(researcher, SearchQuery(text="beans"))
    assert (results.total, results.ranked_within, results.pages) == (3, 2, 1)
    assert {hit.story_id for hit in results.hits} == set(ids[1:])
    by_date = search_stories(researcher, SearchQuery(text="beans", sort="oldest"))
    assert by_date.ranked_within is None and by_date.hits[0].story_id == ids[0]
    app.config["SEARCH_RANK_CAP"] = 0
    assert search_stories(researcher, SearchQuery(text="beans")).ranked_within is None


def test_the_index_holds_the_anonymised_text_never_the_original(publish, researcher):
    story = publish("I met Margaret Thompson at the allotment in Sheffield last spring.")
    body = db.session.get(SearchDocument, story.id).body
    assert "Thompson" not in body and "[PERSON" in body
    assert found(researcher, text="Thompson") == []
    assert found(researcher, text="allotment") == [story.id]


@pytest.mark.parametrize("role", ["reporter", "facilitator"])
def test_only_researchers_and_admins_search(factories, role, publish):
    publish(GARDEN)
    with pytest.raises(NotAllowed):
        search_stories(factories.user(role), SearchQuery())
    assert search_stories(publish.admin, SearchQuery()).total == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"sort": "loudest"},
        {"per_page": 0},
        {"page": 0},
        {"lengths": ("huge",)},
        {"text": "word " * 80},
        {"date_from": date(2026, 2, 1), "date_to": date(2026, 1, 1)},
    ],
)
def test_bad_queries_say_what_is_wrong(fields):
    with pytest.raises(InvalidInput):
        SearchQuery(**fields)


def test_punctuation_and_query_syntax_are_only_words(publish, researcher):
    story = publish(BUSES)
    for text in ['buses "', "buses) (", "buses:late", "'buses'", "buses -", "^buses", "buses*)"]:
        assert found(researcher, text=text) == [story.id], text


def test_the_reindex_command_rebuilds_the_index(app, publish, researcher):
    story = publish(GARDEN)
    db.session.execute(db.delete(SearchDocument))
    db.session.commit()
    assert found(researcher) == []
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 story that may be searched" in result.output
    assert found(researcher, text="allotment") == [story.id]
