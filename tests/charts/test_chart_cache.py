"""Charts are drawn once per process for the same counts (the page under load), never mixed up."""

from __future__ import annotations

from storybank.charts import services
from storybank.charts.engine import draw_chart
from tests.charts.test_engine import COUNTS
from tests.charts.test_engine import table


def test_the_same_counts_reuse_one_drawing_identical_to_a_fresh_one():
    first = services._drawn(table("by_voice", COUNTS))
    again = services._drawn(table("by_voice", COUNTS))  # equal, not the same object

    assert again is first
    assert first == draw_chart(table("by_voice", COUNTS))


def test_other_counts_or_threshold_are_drawn_afresh():
    base = services._drawn(table("by_site", COUNTS))
    changed = [[12, 0, 7], [3, 20, 9], [15, 8, 30]]

    redrawn = services._drawn(table("by_site", changed))

    assert redrawn != base
    assert redrawn == draw_chart(table("by_site", changed))
    assert services._drawn(table("by_site", COUNTS, threshold=10)) != base
