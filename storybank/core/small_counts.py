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
