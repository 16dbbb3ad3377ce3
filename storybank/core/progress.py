"""Progress reports thinned out: a long job says how far it is without writing every step."""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[float], None]


def throttled(write: Report, step: float) -> Report:
    """Pass a fraction (held to 0..1) on to `write` when it has moved by `step`, and always at 1."""
    last = [0.0]

    def report(fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        if fraction - last[0] < step and fraction < 1.0:
            return
        last[0] = fraction
        write(fraction)

    return report
