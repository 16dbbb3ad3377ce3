"""Small-count suppression: a count below the threshold is shown as "fewer than N".

One setting (`SMALL_COUNT_THRESHOLD`, default 5) covers every count people see in packs,
charts, exports and the API, so that nobody can be picked out by a small number.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_THRESHOLD = 5


@dataclass(frozen=True)
class ShownCount:
    """A count as people may see it: the number, or only that it is small."""

    value: int | None
    label: str
    small: bool = True  # False: not small, but hidden so that a small one cannot be worked out

    @property
    def suppressed(self) -> bool:
        return self.value is None


def shown_count(count: int, threshold: int = DEFAULT_THRESHOLD) -> ShownCount:
    """Return the count, or "fewer than N" when it is above zero and below the threshold.

    Zero is shown as zero: that nobody's story carries a theme picks out nobody.
    """
    if count < 0:
        raise ValueError("a count cannot be negative")
    if 0 < count < threshold:
        return ShownCount(None, f"fewer than {threshold}")
    return ShownCount(count, str(count))


HIDDEN_LABEL = "not shown"


def hidden_count() -> ShownCount:
    """A count that is not small but is hidden, so that a small one beside it stays hidden."""
    return ShownCount(None, HIDDEN_LABEL, small=False)


def complementary_cells(counts: list[int], threshold: int = DEFAULT_THRESHOLD) -> set[int]:
    """Which further cells of a row to hide, so that no small count is its total minus the rest.

    A row whose total is published elsewhere (a theme's stories, split by voice, site or
    period) gives away its one small cell by subtraction. So when exactly one cell is small,
    the smallest other count above zero is hidden too (the first of equals). Two hidden cells
    then share a known sum, which says no more than that the small one is below the threshold.
    """
    small = [i for i, count in enumerate(counts) if 0 < count < threshold]
    if len(small) != 1:
        return set()
    others = [(count, i) for i, count in enumerate(counts) if count >= threshold]
    return {min(others)[1]} if others else set()
