"""Compiled passes over the whole population, one per policy year (DESIGN §5).

A year of demography touches every row a few times: count the cells, find who has an event,
find who may retire, count the special groups, and sort everyone by cell for the admission
draws. In numpy each of those is several full passes with temporaries; these loops do them
in one pass each. The random numbers stay numpy's (drawn before the call), so a run's
numbers do not depend on the compiler.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True, nogil=True)
def scan_year(
    cell: NDArray[np.int16],
    u: NDArray[np.float64],
    event_band: NDArray[np.float64],
    may_retire: NDArray[np.bool_],
    group: NDArray[np.int8],
    urrbmi: int,
    n_schemes: int,
) -> tuple[
    NDArray[np.int64], NDArray[np.intp], NDArray[np.intp], NDArray[np.int64]
]:  # pragma: no cover - compiled
    """(rows per cell, rows with ``u < event_band[cell]``, rows in ``may_retire`` cells,
    URRBMI members by special group).

    Cells are ``(age × 2 + sex) × n_schemes + scheme``; the idle cell (last) is no scheme's.
    """
    n = len(cell)
    counts = np.zeros(len(event_band), dtype=np.int64)
    events = np.empty(n, dtype=np.intp)
    candidates = np.empty(n, dtype=np.intp)
    groups = np.zeros(3, dtype=np.int64)
    idle = len(event_band) - 1
    n_events = 0
    n_candidates = 0
    for i in range(n):
        c = cell[i]
        counts[c] += 1
        if u[i] < event_band[c]:
            events[n_events] = i
            n_events += 1
        if may_retire[c]:
            candidates[n_candidates] = i
            n_candidates += 1
        if c != idle and c % n_schemes == urrbmi:
            groups[group[i]] += 1
    return counts, events[:n_events].copy(), candidates[:n_candidates].copy(), groups


@njit(cache=True, nogil=True)
def order_by_cell(
    cell: NDArray[np.int16], counts: NDArray[np.int64], order: NDArray[np.intp]
) -> None:  # pragma: no cover - compiled
    """Rows sorted by cell, stably, into ``order``: ``np.argsort(cell, kind="stable")`` by
    counting."""
    position = np.zeros(len(counts), dtype=np.intp)
    total = 0
    for c in range(len(counts)):
        position[c] = total
        total += counts[c]
    for i in range(len(cell)):
        c = cell[i]
        order[position[c]] = i
        position[c] += 1
