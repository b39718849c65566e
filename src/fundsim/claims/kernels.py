"""Compiled loops of the admission draw (architecture §5): numpy draws the counts; these draw the
sorted keys, select and decode a batch's admissions, and price them, in one pass each
instead of a dozen numpy passes with temporaries.

Common random numbers need each candidate admission to keep its own randomness whatever the
scenario does to the others. So everything drawn for a candidate after its cell, position
and time (whether a volume effect keeps it, its level, TCM and cost) comes from a
counter-based generator (:mod:`fundsim.random.hashing`) applied to the year's key and the
candidate's own 64-bit key. Two scenarios of run r then agree on every candidate they share.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from ..codes import POOL_OF_SCHEME, POOLS, URRBMI
from ..random.hashing import hashed_exponential, hashed_normal, hashed_uniform
from ..random.streams import COST, FILING, LEVEL, POSITION, POSITION_END, THIN

POOL_OF_STATUS = np.array(POOL_OF_SCHEME, dtype=np.intp)  # a compile-time constant
N_POOLS = len(POOLS)
N_STATUS = len(POOL_OF_SCHEME)
TIME_BITS = 32  # admission time within the year, in 2⁻³² of its span (~8 ms)
TICKS = 1 << TIME_BITS
_NODES = 256  # nodes of the admission-day log table (decode_admissions)
_NODE_SHIFT = TIME_BITS - 8  # a tick's node: its top 8 bits
_NODE_MASK = (1 << _NODE_SHIFT) - 1


@njit(cache=True, nogil=True)
def admission_keys(
    counts: NDArray[np.int64],
    start: NDArray[np.int64],
    size: NDArray[np.int64],
    base: np.uint64,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """Sorted keys (position in the cell index << TIME_BITS | time quantile) and cells.

    ``counts[c]`` admissions in cell ``c``, each at a uniform point u of [0, 1): the integer
    part of ``u × size`` is the position within the cell, and the remainder, uniform on
    [0, 1) and independent of the position, is the quantile of the admission time (a
    monotone function of it, so key order is time order). Key order within a cell is the
    order of u, so a cell's k points are drawn already sorted, as the order statistics of
    k uniforms: the partial sums of k + 1 standard exponentials over their total (Devroye
    1986, ch. V §2), from the ``POSITION`` stream by the ziggurat. No sort is needed.
    """
    n = 0
    most = 0
    for c in range(len(counts)):
        n += counts[c]
        most = max(most, counts[c])
    keys = np.empty(n, dtype=np.int64)
    cells = np.empty(n, dtype=np.int64)
    sums = np.empty(most)
    scale = float(1 << TIME_BITS)
    top = np.int64(scale) - 1
    i = 0
    for c in range(len(counts)):
        k = counts[c]
        if k == 0:
            continue
        total = 0.0
        for j in range(k):
            total += hashed_exponential(base, i + j, POSITION)
            sums[j] = total
        total += hashed_exponential(base, c, POSITION_END)
        width = float(size[c])
        for j in range(k):
            spot = sums[j] / total * width
            whole = np.floor(spot)
            if whole >= width:  # rounding at the very top of the cell
                position = start[c] + size[c] - 1
                ticks = top
            else:
                position = start[c] + np.int64(whole)
                ticks = min(np.int64((spot - whole) * scale), top)
            keys[i + j] = (position << TIME_BITS) | ticks
            cells[i + j] = c
        i += k
    return keys, cells


@njit(cache=True, nogil=True)
def decode_admissions(
    keys: NDArray[np.int64],
    cells: NDArray[np.int64],
    order: NDArray[np.int32],
    scheme_of_cell: NDArray[np.int8],
    changing: NDArray[np.bool_],
    entry: NDArray[np.float64],
    exit_: NDArray[np.float64],
    scheme: NDArray[np.int8],
    switch_day: NDArray[np.float64],
    switch_to: NDArray[np.int8],
    day: float,
    length: float,
    beta: float,
    first_tick: int,
    end_tick: int,
    base: np.uint64,
    keep: float,
) -> tuple[
    NDArray[np.intp],
    NDArray[np.bool_],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int8],
    NDArray[np.int64],
]:  # pragma: no cover - compiled
    """Sorted candidate keys of a year → (person, first, admission day, cell, status, key) of
    the admissions of one batch.

    A candidate belongs to the batch when its time tick is in ``[first_tick, end_tick)``
    and its ``THIN`` uniform is below ``keep`` (the batch's volume effect over the bound the
    candidates were drawn with). The admission day of quantile q is ``day + length ×
    log1p(q × expm1(beta)) / beta`` (``q`` when beta is 0), the inverse CDF of the density
    ∝ exp(beta t) on the year. The log comes from a table of 257 nodes x₀ = g × j / 256
    (g = expm1(beta)) and a short series: log(1 + x) = log1p(x₀) + log1p(y), with
    y = (x − x₀) / (1 + x₀) below |g| / 192, so five terms leave an error under 10⁻¹⁸
    (a call of ``log`` per candidate cost more than the rest of the decoding). Trends beyond
    ±25% a batch call ``log``.

    People whose membership or scheme changes this year (``changing``) are kept only if
    members on the admission day, with their scheme on that day; everyone else is a member
    all year in the scheme of their cell.
    """
    n = len(keys)
    person = np.empty(n, dtype=np.intp)
    first = np.empty(n, dtype=np.bool_)
    when = np.empty(n)
    cell = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int8)
    kept = np.empty(n, dtype=np.int64)
    mask = (np.int64(1) << TIME_BITS) - 1
    step = 1.0 / float(1 << TIME_BITS)
    trend = abs(beta) > 1e-12
    growth = np.expm1(beta)
    days_per_log = length / beta if trend else 0.0
    tabled = abs(growth) <= 0.25
    node_log = np.empty(_NODES + 1)  # log1p(x₀) at each node
    node_scale = np.empty(_NODES + 1)  # g / (1 + x₀) × 2⁻³²: y per tick beyond the node
    for k in range(_NODES + 1):
        x0 = growth * (k / _NODES)
        node_log[k] = math.log1p(x0)
        node_scale[k] = growth / (1.0 + x0) * step
    previous = -1
    j = 0
    for i in range(n):
        tick = keys[i] & mask
        if tick < first_tick or tick >= end_tick:
            continue
        if keep < 1.0 and hashed_uniform(base, keys[i], THIN) >= keep:
            continue
        position = keys[i] >> TIME_BITS
        q = tick * step
        p = order[position]
        s = scheme_of_cell[cells[i]]
        if not trend:
            t = day + length * q
        elif tabled:
            node = tick >> _NODE_SHIFT
            y = float(tick & _NODE_MASK) * node_scale[node]
            series = y * (1.0 + y * (-0.5 + y * (1.0 / 3.0 + y * (-0.25 + y * 0.2))))
            t = day + (node_log[node] + series) * days_per_log
        else:
            t = day + math.log1p(q * growth) * days_per_log
        if changing[p]:
            if not (entry[p] <= t < exit_[p]):
                continue
            s = switch_to[p] if switch_day[p] <= t else scheme[p]
        person[j] = p
        first[j] = position != previous
        previous = position
        when[j] = t
        cell[j] = cells[i]
        status[j] = s
        kept[j] = keys[i]
        j += 1
    return person[:j], first[:j], when[:j], cell[:j], status[:j], kept[:j]


def level_bounds(cumulative: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each row's level bands: 0, the cumulative mix but its last, and 1 (so the last
    level takes everything above the others, whatever the rounding of the sum)."""
    bounds = np.zeros((cumulative.shape[0], cumulative.shape[1] + 1))
    bounds[:, 1:-1] = cumulative[:, :-1]
    bounds[:, -1] = 1.0
    return bounds


@njit(cache=True, nogil=True, inline="always")
def pick_level(bounds: NDArray[np.float64], u: float) -> int:  # pragma: no cover - compiled
    """The level whose band ``[bounds[l], bounds[l + 1])`` holds u (a row of
    :func:`level_bounds`): a count of comparisons, with no branch to mispredict."""
    level = 0
    for j in range(1, len(bounds) - 1):
        level += bounds[j] <= u
    return level


@njit(cache=True, nogil=True)
def price_admissions(
    person: NDArray[np.intp],
    when: NDArray[np.float64],
    cell: NDArray[np.int64],
    status: NDArray[np.int8],
    keys: NDArray[np.int64],
    base: np.uint64,
    day: float,
    sigma: float,
    inflation: float,
    group: NDArray[np.int8],
    level_bounds: NDArray[np.float64],
    mean_cost: NDArray[np.float64],
    cell_cost_factor: NDArray[np.float64],
    tcm_share: float,
    extra_stay: NDArray[np.float64],
    policy_range_share: NDArray[np.float64],
    term_shape: tuple[int, int, int, int],
    filing_bounds: NDArray[np.float64],
    away_level: int,
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.float64]
]:  # pragma: no cover - compiled
    """Level, TCM, cost and terms of each admission, from its key's counter-based draws.

    Returns (total cost, policy-range cost, index in the flattened term tables, per status:
    admissions, cost and expected extra bed days as a (3, 3) array). The level comes from
    its ``LEVEL`` uniform u and the pool's level bands (:func:`level_bounds`; row 0 UEBMI,
    1 URRBMI); TCM from
    where u falls within its level's band (uniform on [0, 1) and independent of the level)
    ``< tcm_share``; the cost is the level's mean on ``day`` × the cell's factor × a
    lognormal factor of mean 1 and log-sd ``sigma`` (its normal hashed from the ``COST``
    stream by the ziggurat) × medical inflation ``exp(inflation × (when − day))``. An
    out-of-area stay's filing status comes from its ``FILING`` uniform against the cumulative
    shares ``filing_bounds`` (filed first); its terms are in the block of the stacked term
    tables of that status (block 0, the filed, for every other stay).
    """
    n = len(person)
    total = np.empty(n)
    in_range = np.empty(n)
    key = np.empty(n, dtype=np.intp)
    by_status = np.zeros((3, 3))
    _, n_levels, n_tcm, n_groups = term_shape
    half_variance = 0.5 * sigma * sigma
    # per-status sums in registers: accumulating into ``by_status`` in the loop made every
    # iteration wait on the previous one's store
    n0 = n1 = n2 = c0 = c1 = c2 = e0 = e1 = e2 = 0.0
    for i in range(n):
        s = status[i]
        pool = POOL_OF_STATUS[s]
        bounds = level_bounds[pool]
        u = hashed_uniform(base, keys[i], LEVEL)
        level = pick_level(bounds, u)
        low, high = bounds[level], bounds[level + 1]
        tcm = np.int64((u - low) < tcm_share * (high - low))
        z = hashed_normal(base, keys[i], COST)
        spread = math.exp(sigma * z + inflation * (when[i] - day) - half_variance)
        cost = (mean_cost[level] * cell_cost_factor[cell[i]]) * spread
        g = group[person[i]] if s == URRBMI else 0
        total[i] = cost
        in_range[i] = cost * policy_range_share[s]
        block = s
        if level == away_level and filing_bounds[1] < 1.0:  # not every stay filed
            block += N_STATUS * pick_level(filing_bounds, hashed_uniform(base, keys[i], FILING))
        key[i] = ((block * n_levels + level) * n_tcm + tcm) * n_groups + g
        extra = extra_stay[level]
        if s == 0:
            n0 += 1.0
            c0 += cost
            e0 += extra
        elif s == 1:
            n1 += 1.0
            c1 += cost
            e1 += extra
        else:
            n2 += 1.0
            c2 += cost
            e2 += extra
    by_status[0, 0], by_status[0, 1], by_status[0, 2] = n0, c0, e0
    by_status[1, 0], by_status[1, 1], by_status[1, 2] = n1, c1, e1
    by_status[2, 0], by_status[2, 1], by_status[2, 2] = n2, c2, e2
    return total, in_range, key, by_status


@njit(cache=True, nogil=True)
def book_by_month(
    when: NDArray[np.float64],
    status: NDArray[np.int8],
    fund: NDArray[np.float64],
    layer: NDArray[np.float64],
    assistance: NDArray[np.float64],
    month_of_day: NDArray[np.intp],
    first_month: int,
    last_month: int,
    key: NDArray[np.intp],
    per_level: int,
    n_levels: int,
    away_level: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover - compiled
    """Sums of the three paying layers by month of admission and pool, for admissions in
    months ``first_month`` to ``last_month``: an array (months, pool, layer), and the same of
    the out-of-area stays alone (their level, packed in ``key`` as ``key // per_level %
    n_levels``, is ``away_level``)."""
    sums = np.zeros((last_month - first_month + 1, N_POOLS, 3))
    away = np.zeros((last_month - first_month + 1, N_POOLS, 3))
    for i in range(len(when)):
        m = month_of_day[np.intp(when[i])] - first_month
        if m < 0 or m >= len(sums):
            raise ValueError("an admission outside the months of its batch")
        pool = POOL_OF_STATUS[status[i]]
        sums[m, pool, 0] += fund[i]
        sums[m, pool, 1] += layer[i]
        sums[m, pool, 2] += assistance[i]
        if (key[i] // per_level) % n_levels == away_level:
            away[m, pool, 0] += fund[i]
            away[m, pool, 1] += layer[i]
            away[m, pool, 2] += assistance[i]
    return sums, away
