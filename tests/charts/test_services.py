"""Chart counts over the search index, on whichever database the suite runs on."""

from __future__ import annotations

from datetime import date

import pytest

from storybank.charts.services import bench_all_charts
from storybank.charts.services import chart_data
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.extensions import db
from storybank.privacy.services import ConsentUses
from storybank.privacy.services import change_consent
from storybank.search.models import SearchDocument
from storybank.search.query import SearchQuery

GARDEN = "The allotment helped me more than anything. Growing beans gave my week a shape."
KETTLE = "My supervisor trusted me with the kettle rota, which sounds small but mattered."
BUSES = "Two buses to every appointment, and the buses were late again and again."
COOKING = "Learning to cook on a small budget gave me something to share at home."


def labels(table) -> dict[str, list[str]]:
    return {row.key: [count.label for count in row.counts] for row in table.rows}


def approved_on(story, day: date) -> None:
    db.session.get(SearchDocument, story.id).approved_on = day
    db.session.commit()


@pytest.fixture
def researcher(factories):
    return factories.user("researcher")


@pytest.fixture
def world(app, publish, factories):
    """Four stories at two sites; every count shown (threshold 1)."""
    app.config["SMALL_COUNT_THRESHOLD"] = 1
    north, south = factories.site("North"), factories.site("South")
    a = publish(GARDEN, themes=("trust", "community"), site=north, voice="peer_mentor")
    b = publish(KETTLE, themes=("trust",), site=north)
    c = publish(BUSES, themes=("community",), site=south, voice="staff")
    d = publish(COOKING, site=south)
    for story, day in ((a, date(2025, 1, 15)), (b, date(2025, 2, 10)), (c, date(2025, 7, 1)),
                       (d, date(2025, 7, 2))):  # fmt: skip
        approved_on(story, day)
    return {"north": north, "south": south, "stories": (a, b, c, d)}


def test_themes_over_time_by_quarter_and_by_month(world, researcher):
    data = chart_data(researcher, SearchQuery())
    table = data.tables["over_time"]
    assert [key for key, _ in table.columns] == ["2025-Q1", "2025-Q2", "2025-Q3"]
    assert labels(table) == {
        "trust": ["2", "0", "0"],
        "choice": ["0", "0", "0"],
        "community": ["1", "0", "1"],
    }
    months = chart_data(researcher, SearchQuery(), period="month").tables["over_time"]
    assert [label for _, label in months.columns][:2] == ["Jan 2025", "Feb 2025"]
    assert len(months.columns) == 7  # the months with no story are there, as zero
    assert labels(months)["trust"] == ["1", "1", "0", "0", "0", "0", "0"]
    with pytest.raises(InvalidInput):
        chart_data(researcher, SearchQuery(), period="fortnight")


def test_themes_by_voice_and_by_site(world, researcher):
    data = chart_data(researcher, SearchQuery())
    voice = data.tables["by_voice"]
    keys = [key for key, _ in voice.columns]
    assert keys == ["person_on_probation", "peer_mentor", "staff", "family_or_friend"]
    assert labels(voice)["trust"] == ["1", "1", "0", "0"]
    assert labels(voice)["community"] == ["0", "1", "1", "0"]
    site = data.tables["by_site"]
    assert [label for _, label in site.columns] == ["North", "South"]
    assert labels(site) == {"trust": ["2", "0"], "choice": ["0", "0"], "community": ["1", "1"]}


def test_themes_together_and_the_totals(world, researcher):
    data = chart_data(researcher, SearchQuery())
    assert labels(data.tables["together"]) == {
        "trust": ["2", "0", "1"],
        "choice": ["0", "0", "0"],
        "community": ["1", "0", "2"],
    }
    assert (data.total.value, data.untagged.value) == (4, 1)


def test_filters_and_words_narrow_the_counts(world, researcher):
    north = world["north"]
    data = chart_data(researcher, SearchQuery(site_ids=(north.id,)))
    assert data.total.value == 2
    assert [label for _, label in data.tables["by_site"].columns] == ["North"]
    assert labels(data.tables["together"])["trust"] == ["2", "0", "1"]
    data = chart_data(researcher, SearchQuery(themes=("community",)))
    assert data.total.value == 2
    assert labels(data.tables["by_voice"])["trust"] == ["0", "1", "0", "0"]
    data = chart_data(researcher, SearchQuery(text="buses"))
    assert data.total.value == 1
    assert labels(data.tables["over_time"]) == {
        "trust": ["0"],
        "choice": ["0"],
        "community": ["1"],
    }
    data = chart_data(researcher, SearchQuery(date_to=date(2025, 1, 31)))
    assert data.total.value == 1
    assert chart_data(researcher, SearchQuery(text="volcano")).tables["over_time"].columns == ()


def test_small_counts_are_suppressed_and_the_threshold_setting_moves_the_line(
    app, publish, researcher
):
    for n in range(5):
        publish(f"{GARDEN} Week {n}.", themes=("trust",) if n < 4 else ("trust", "choice"))
    data = chart_data(researcher, SearchQuery())
    assert data.threshold == 5
    together = {row.key: row.counts for row in data.tables["together"].rows}
    assert together["trust"][0].value == 5  # five stories: shown
    assert together["choice"][1].value is None  # one story: hidden
    assert together["choice"][1].label == "fewer than 5"
    assert together["choice"][2].value == 0  # zero picks out nobody: shown
    assert data.total.value == 5
    app.config["SMALL_COUNT_THRESHOLD"] = 6
    data = chart_data(researcher, SearchQuery())
    assert data.total.label == "fewer than 6"
    assert labels(data.tables["by_voice"])["trust"][0] == "fewer than 6"
    for table in data.tables.values():  # no raw number under the threshold survives anywhere
        for row in table.rows:
            assert all(c.value is None or c.value == 0 for c in row.counts)


def test_stories_without_research_consent_are_never_counted(app, publish, factories, researcher):
    app.config["SMALL_COUNT_THRESHOLD"] = 1
    publish(GARDEN, themes=("trust",), consent=factories.consent(research=False))
    narrowed = publish(KETTLE, themes=("trust",))
    kept = publish(BUSES, themes=("community",))
    assert chart_data(researcher, SearchQuery()).total.value == 2
    change_consent(
        publish.reporter,
        narrowed.id,
        ConsentUses(events=True, research=False, audio_at_events=False),
    )
    data = chart_data(researcher, SearchQuery())
    assert data.total.value == 1
    assert labels(data.tables["together"])["trust"] == ["0", "0", "0"]
    assert labels(data.tables["together"])["community"] == ["0", "0", "1"]
    assert kept.id


@pytest.mark.parametrize("role", ["reporter", "facilitator"])
def test_only_researchers_and_admins_see_charts(factories, publish, role):
    publish(GARDEN)
    with pytest.raises(NotAllowed):
        chart_data(factories.user(role), SearchQuery())
    with pytest.raises(NotAllowed):
        chart_data(None, SearchQuery())
    assert chart_data(publish.admin, SearchQuery()).total.label == "fewer than 5"


def test_the_benchmark_hook_draws_all_four_charts(publish, researcher):
    publish(GARDEN, themes=("trust",))
    svgs = bench_all_charts(researcher)
    assert sorted(svgs) == ["by_site", "by_voice", "over_time", "together"]
    assert all(svg.startswith("<svg") for svg in svgs.values())


def test_a_lone_small_count_in_a_row_hides_one_more_so_the_total_cannot_give_it_away(
    publish, researcher
):
    """Six trust stories: one from staff, five from people on probation. The together grid
    publishes the six, so "fewer than 5" beside a shown 5 would be 6 - 5 = 1; the 5 hides too."""
    publish(f"{KETTLE} Told by staff.", themes=("trust",), voice="staff")
    for n in range(5):
        publish(f"{GARDEN} Week {n}.", themes=("trust",))
    data = chart_data(researcher, SearchQuery())
    assert {row.key: row.counts for row in data.tables["together"].rows}["trust"][0].value == 6
    by_voice = dict(zip([key for key, _ in data.tables["by_voice"].columns],
                        {row.key: row.counts for row in data.tables["by_voice"].rows}["trust"],
                        strict=True))  # fmt: skip
    assert by_voice["staff"].label == "fewer than 5"
    assert by_voice["person_on_probation"].value is None
    assert by_voice["person_on_probation"].label == "not shown"
    for name in ("over_time", "by_voice", "by_site"):
        for row in data.tables[name].rows:
            hidden = [c for c in row.counts if c.suppressed]
            shown_total = sum(c.value or 0 for c in row.counts)
            assert len(hidden) != 1 or shown_total == 0, (name, row)
