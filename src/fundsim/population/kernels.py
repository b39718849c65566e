"""Compiled passes over the whole population, one per policy year (architecture §5).

A year of demography touches every row a few times: count the cells, find who has an event,
find who may retire, count the special groups, and sort everyone by cell for the admission
draws. In numpy each of those is several full passes with temporaries; these loops do them
in one pass each. Each row's uniform of the year is counter-based (:mod:`fundsim.random.hashing`):
integer arithmetic, the same on every machine, and drawn only for rows whose cell has any
chance of an event.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from ..random.hashing import TO_UNIT, hashed_bits53
from ..random.streams import ROW_YEAR

_TWO_53 = 9007199254740992.0


@njit(cache=True, nogil=True)
def scan_year(
    cell: NDArray[np.int16],
    base: np.uint64,
    event_band: NDArray[np.float64],
    may_retire: NDArray[np.bool_],
    group: NDArray[np.int8],
    urrbmi_cell: NDArray[np.bool_],
) -> tuple[
    NDArray[np.int64], NDArray[np.intp], NDArray[np.float64], NDArray[np.intp], NDArray[np.int64]
]:  # pragma: no cover - compiled
    """(rows per cell, rows with an event, their uniforms, rows in ``may_retire`` cells,
    URRBMI members by special group).

    Row i's uniform of the year is the counter-based ``hashed_uniform(base, i)``; the row has
    an event when it is below ``event_band[cell]``. Cells are ``(age × 2 + sex) × n_schemes
    + scheme``; the idle cell (last) has an event band of 0 and is no scheme's.

    Rows come in long runs of one cell, so the cell's properties and its count are held in
    registers for the run (a counter in memory would make each row wait on the last one's
    store).
    """
    n = len(cell)
    counts = np.zeros(len(event_band), dtype=np.int64)
    events = np.empty(n, dtype=np.intp)  # only the pages written are ever touched
    event_u = np.empty(n)
    candidates = np.empty(n, dtype=np.intp)
    n_events = 0
    n_candidates = 0
    low = high = urrbmi_rows = 0
    # u < band, for u = m × 2⁻⁵³ with m the hash's top 53 bits, is m < ceil(band × 2⁵³):
    # an integer compare, the same decisions
    limit = np.empty(len(event_band), dtype=np.int64)
    for c in range(len(event_band)):
        limit[c] = np.int64(math.ceil(event_band[c] * _TWO_53))
    current = cell[0] if n else 0
    run = 0
    band, retire, urrbmi = limit[current], may_retire[current], urrbmi_cell[current]
    for i in range(n):
        c = cell[i]
        if c != current:
            counts[current] += run
            current, run = c, 0
            band, retire, urrbmi = limit[c], may_retire[c], urrbmi_cell[c]
        run += 1
        m = hashed_bits53(base, i, ROW_YEAR)
        if m < band:
            events[n_events] = i
            event_u[n_events] = float(m) * TO_UNIT
            n_events += 1
        if retire:
            candidates[n_candidates] = i
            n_candidates += 1
        if urrbmi:
            g = group[i]
            low += g == 1
            high += g == 2
            urrbmi_rows += 1
    if n:
        counts[current] += run
    groups = np.array([urrbmi_rows - low - high, low, high], dtype=np.int64)
    return (
        counts,
        events[:n_events].copy(),
        event_u[:n_events].copy(),
        candidates[:n_candidates].copy(),
        groups,
    )


@njit(cache=True, nogil=True)
def order_by_cell(
    cell: NDArray[np.int16], counts: NDArray[np.int64], order: NDArray[np.int32]
) -> None:  # pragma: no cover - compiled
    """Rows sorted by cell, stably, into ``order``: ``np.argsort(cell, kind="stable")`` by
    counting (the current run's write position held in a register, as in :func:`scan_year`)."""
    position = np.zeros(len(counts), dtype=np.intp)
    total = 0
    for c in range(len(counts)):
        position[c] = total
        total += counts[c]
    if len(cell) == 0:
        return
    current = cell[0]
    p = position[current]
    for i in range(len(cell)):
        c = cell[i]
        if c != current:
            position[current] = p
            current = c
            p = position[c]
        order[p] = i
        p += 1


@njit(cache=True, nogil=True)
def advance_cells(
    cell: NDArray[np.int16], next_cell: NDArray[np.int16]
) -> None:  # pragma: no cover - compiled
    """``cell[:] = next_cell[cell]`` in place (numpy's take would first widen the indices)."""
    for i in range(len(cell)):
        cell[i] = next_cell[cell[i]]


@njit(cache=True, nogil=True)
def classify_events(
    rows: NDArray[np.intp],
    u: NDArray[np.float64],
    cell: NDArray[np.int16],
    death: NDArray[np.float64],
    lapse: NDArray[np.float64],
    move: float,
    join: NDArray[np.float64],
    start: float,
    length: float,
) -> tuple[NDArray[np.int8], NDArray[np.float64]]:  # pragma: no cover - compiled
    """Reason (1 death, 2 lapse, 3 moved away, 0 switches scheme) and day of each event.

    A row's uniform u fell in its cell's band ``[0, death + lapse + move + join)``, in this
    order: the sub-band it is in gives the reason, and its position within the sub-band,
    uniform on it, the day within the year.
    """
    n = len(rows)
    reason = np.empty(n, dtype=np.int8)
    day = np.empty(n)
    for k in range(n):
        c = cell[rows[k]]
        q, lp, x = death[c], lapse[c], u[k]
        if x < q:
            code, lower, width = 1, 0.0, q
        elif x < q + lp:
            code, lower, width = 2, q, lp
        elif x < q + lp + move:
            code, lower, width = 3, q + lp, move
        else:
            code, lower, width = 0, q + lp + move, max(join[c], 1e-300)
        reason[k] = code
        day[k] = start + (x - lower) / width * length
    return reason, day


@njit(cache=True, nogil=True)
def retirements(
    candidates: NDArray[np.intp],
    retire_day: NDArray[np.float64],
    rows: NDArray[np.intp],
    reason: NDArray[np.int8],
    day: NDArray[np.float64],
    start: float,
    end: float,
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:  # pragma: no cover - compiled
    """Candidates who reach their retirement day within ``[start, end)`` before leaving.

    ``candidates`` and the event ``rows`` are both ascending, so one merge finds each
    candidate's exit day (the day of its leaving event, if any).
    """
    out = np.empty(len(candidates), dtype=np.intp)
    days = np.empty(len(candidates))
    j = 0
    m = 0
    for k in range(len(candidates)):
        r = candidates[k]
        while j < len(rows) and rows[j] < r:
            j += 1
        leaves = np.inf
        if j < len(rows) and rows[j] == r and reason[j] > 0:
            leaves = day[j]
        d = retire_day[k]
        if start <= d < end and d < leaves:
            out[m] = r
            days[m] = d
            m += 1
    return out[:m].copy(), days[:m].copy()
