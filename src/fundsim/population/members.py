"""Members of each scheme at every month bound of a year, from the year's events."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import POPULATION_FLOWS, SCHEMES
from .demography import YearDemography


def monthly_members(
    demo: YearDemography,
    month_bounds: NDArray[np.float64],
    month_of_day: NDArray[np.intp],
    start: float,
    end: float,
) -> tuple[int, NDArray[np.float64]]:
    """The first month bound of the year ``[start, end)`` and the members (unweighted) of each
    scheme at it and every later bound of the year, its end included."""
    m0 = int(np.searchsorted(month_bounds, start))
    m1 = int(np.searchsorted(month_bounds, end))
    bounds = month_bounds[m0 : m1 + 1]
    base = demo.flows[POPULATION_FLOWS.index("start")].astype(float)
    delta = np.zeros((len(bounds) + 1, len(SCHEMES)))

    def add(days: NDArray[np.float64], schemes: NDArray[np.integer[Any]], sign: float) -> None:
        # an event on day d counts at every bound b > d: bounds are whole days from the
        # year start, so those at or before d are the year's months up to d's month
        after = month_of_day[days.astype(np.intp)] + (1 - m0)
        flat = after * len(SCHEMES) + schemes
        delta[...] += sign * np.bincount(flat, minlength=delta.size).reshape(delta.shape)

    add(demo.exits[0], demo.exits[1], -1.0)
    add(demo.switches[0], demo.switches[1], -1.0)
    add(demo.switches[0], demo.switches[2], 1.0)
    add(demo.entries[0], demo.entries[1], 1.0)
    return m0, base + np.cumsum(delta, axis=0)[: len(bounds)]
