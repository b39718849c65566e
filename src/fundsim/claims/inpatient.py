"""Inpatient admissions: counts per age × sex × scheme cell, people, level, cost and stay.

Each policy year the population is sorted once by cell (age at the year start, sex, scheme
at the year start) with a counting sort. A batch of admissions covers a span of
days (by default the whole year, cut at every dated policy change): it draws a Poisson count
per cell on everyone indexed in the cell (rate × people × span × multipliers, with the
admission trend integrated over the span), picks that many uniformly within the cell, dates
each admission from the trend's density, and keeps those who are members on the admission
day. Thinning a Poisson process keeps it Poisson, so admissions follow rate × members
exactly, including newborns, leavers and newcomers of the year; only the few people whose
membership or scheme changes during the year (``CellIndex.changing``) need the check.

Position within the cell and admission time are packed in one 64-bit key and sorted with
``np.sort`` (DESIGN §5), which leaves the batch grouped by person in time order: the
benefit rules need no further sort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..benefits.terms import LEVELS
from ..population.arrays import DAYS_PER_YEAR, N_CELLS, Population
from ..population.kernels import order_by_cell
from ..scenario.regiondata import MAX_AGE, SCHEMES, Table

N_AGES = MAX_AGE + 1
TIME_BITS = 32  # admission time within the batch, in 2⁻³² of its span (~8 ms in a year)


@dataclass(frozen=True)
class AdmissionTable:
    """Admissions per member-year and relative cost per case, by single age and scheme."""

    rate: NDArray[np.float64]  # shape (N_AGES, len(SCHEMES))
    cost_factor: NDArray[np.float64]

    @classmethod
    def from_table(cls, table: Table) -> AdmissionTable:
        rate = np.zeros((N_AGES, len(SCHEMES)))
        factor = np.ones((N_AGES, len(SCHEMES)))
        for row in table.rows():
            s = SCHEMES.index(row["scheme"])
            rate[row["age_from"] : row["age_to"] + 1, s] = row["rate"]
            factor[row["age_from"] : row["age_to"] + 1, s] = row["cost_factor"]
        return cls(rate=rate, cost_factor=factor)

    def by_cell(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """Cell values (age × sex × scheme, then the idle cell) from an (age, scheme) table."""
        cells = np.broadcast_to(values[:, None, :], (N_AGES, 2, len(SCHEMES))).reshape(-1)
        return np.append(cells, 0.0)


@dataclass
class CellIndex:
    """People sorted by cell, for the year, and who changes membership or scheme in it."""

    order: NDArray[np.intp]
    start: NDArray[np.int64]
    size: NDArray[np.int64]
    scheme_of_cell: NDArray[np.int8]
    changing: NDArray[np.bool_]  # by row: enters, leaves or switches scheme this year

    @classmethod
    def from_cells(
        cls,
        cell: NDArray[np.int16],
        changing: NDArray[np.intp],
        size: NDArray[np.int64] | None = None,
    ) -> CellIndex:
        """Index rows by their cell (``IDLE`` for rows that are not members).

        ``changing`` lists the rows whose membership or scheme changes within the year;
        ``size``, the rows per cell when already counted.
        """
        if size is None:
            size = np.bincount(cell, minlength=N_CELLS + 1)
        size = size.astype(np.int64)
        order = order_by_cell(cell, size)  # = np.argsort(cell, kind="stable")
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        scheme_of_cell = np.append(np.arange(N_CELLS) % len(SCHEMES), 0).astype(np.int8)
        flag = np.zeros(len(cell), dtype=bool)
        flag[changing] = True
        return cls(
            order=order, start=start, size=size, scheme_of_cell=scheme_of_cell, changing=flag
        )


@dataclass(frozen=True)
class Admissions:
    """Admissions of one batch, grouped by person in time order."""

    person: NDArray[np.intp]
    first: NDArray[np.bool_]  # the person's first admission in the batch
    day: NDArray[np.float64]
    status: NDArray[np.int8]  # scheme on the day (0 active, 1 retired, 2 URRBMI)
    cell: NDArray[np.intp]
    level: NDArray[np.intp]
    tcm: NDArray[np.bool_]
    group: NDArray[np.int8]
    total: NDArray[np.float64]
    extra_stay: NDArray[np.float64]  # mean length of stay beyond the first day [days]


def trend_factor(growth: float, length: float) -> float:
    """Mean of (1 + growth)^(t / year) over t in [0, length) days."""
    beta = np.log1p(growth) * length / DAYS_PER_YEAR
    return float(np.expm1(beta) / beta) if abs(beta) > 1e-12 else 1.0


def draw_admissions(
    population: Population,
    index: CellIndex,
    cell_rate: NDArray[np.float64],
    rate_multiplier: NDArray[np.float64],
    day: float,
    length: float,
    growth: float,
    rng: np.random.Generator,
) -> tuple[
    NDArray[np.intp], NDArray[np.bool_], NDArray[np.float64], NDArray[np.intp], NDArray[np.int8]
]:
    """People admitted in ``[day, day + length)``: (person, first, admission day, cell, status).

    ``rate_multiplier`` is per scheme at ``day`` (trend so far × shock × payment volume
    effects); ``growth`` is the yearly admission trend within the span. The result is
    grouped by person in time order; ``first`` marks each person's first admission.
    """
    lam = cell_rate * index.size * (length / DAYS_PER_YEAR) * trend_factor(growth, length)
    lam = lam * rate_multiplier[index.scheme_of_cell]
    counts = rng.poisson(lam)
    cells = np.repeat(np.arange(len(counts)), counts)
    n = len(cells)
    u = rng.random((2, n))
    position = index.start[cells] + (u[0] * index.size[cells]).astype(np.int64)
    beta = np.log1p(growth) * length / DAYS_PER_YEAR
    # time within the span from the density ∝ exp(beta t) (inverse CDF), as a 32-bit fraction
    fraction = np.log1p(u[1] * np.expm1(beta)) / beta if abs(beta) > 1e-12 else u[1]
    scale = float(1 << TIME_BITS)
    ticks = np.minimum(fraction * scale, scale - 1).astype(np.int64)
    key = (position << TIME_BITS) | ticks
    key.sort()  # positions stay within their cell's range, so ``cells`` keeps its order
    position = key >> TIME_BITS
    when = day + (key & ((1 << TIME_BITS) - 1)) * (length / scale)
    person = index.order[position]
    status = index.scheme_of_cell[cells]
    changing = np.flatnonzero(index.changing[person])
    if len(changing):
        p, w = person[changing], when[changing]
        status[changing] = population.scheme_at(p, w)
        keep = np.ones(n, dtype=bool)
        keep[changing] = population.member_at(p, w)
        if not keep.all():
            position, person, when, cells, status = (
                a[keep] for a in (position, person, when, cells, status)
            )
    first = np.ones(len(position), dtype=bool)
    first[1:] = position[1:] != position[:-1]
    return person, first, when, cells, status


LEVEL_BINS = 4096


def _pick_levels(
    cumulative: NDArray[np.float64], u: NDArray[np.float64], urrbmi: NDArray[np.bool_]
) -> NDArray[np.intp]:
    """Level of each admission from its uniform ``u`` and its pool's cumulative mix.

    Exactly ``searchsorted(cumulative[pool], u, side="right")``, done as a lookup in a table
    of ``LEVEL_BINS`` bins per pool; only the few draws in a bin that holds a boundary are
    searched.
    """
    last = len(LEVELS) - 1
    bins = np.arange(LEVEL_BINS) / LEVEL_BINS
    lo = np.stack([np.searchsorted(c, bins, side="right") for c in cumulative])
    hi = np.stack([np.searchsorted(c, bins + 1.0 / LEVEL_BINS, side="right") for c in cumulative])
    table = np.minimum(lo, last).reshape(-1)
    mixed = (lo != hi).reshape(-1)
    slot = (u * LEVEL_BINS).astype(np.intp) + urrbmi * LEVEL_BINS
    level = table[slot]
    unsure = np.flatnonzero(mixed[slot])
    if len(unsure):
        for pool in (0, 1):
            pick = unsure[urrbmi[unsure] == bool(pool)]
            found = np.searchsorted(cumulative[pool], u[pick], side="right")
            level[pick] = np.minimum(found, last)
    return level


def draw_care(
    population: Population,
    person: NDArray[np.intp],
    first: NDArray[np.bool_],
    when: NDArray[np.float64],
    cell: NDArray[np.intp],
    status: NDArray[np.int8],
    day: float,
    level_cumulative: NDArray[np.float64],
    mean_cost: NDArray[np.float64],
    cost_growth: float,
    cell_cost_factor: NDArray[np.float64],
    sigma: float,
    tcm_share: float,
    mean_stay: NDArray[np.float64],
    rng: np.random.Generator,
) -> Admissions:
    """Level, TCM, cost and expected stay of each admission.

    Parameters
    ----------
    level_cumulative : shape (2, len(LEVELS)): cumulative level mix of UEBMI (row 0) and
        URRBMI (row 1)
    mean_cost : shape (len(LEVELS),) mean cost per case on ``day`` [yuan]
    cost_growth : yearly medical inflation, applied from ``day`` to each admission's day
    cell_cost_factor : relative cost per case of each cell
    sigma : lognormal sigma of the cost around its mean
    mean_stay : shape (len(LEVELS),) mean length of stay [days]; a stay is 1 + Poisson(mean
        − 1), so the batch's bed days are its admissions + one Poisson draw of the extra days
    """
    n = len(person)
    u = rng.random((2, n))
    level = _pick_levels(level_cumulative, u[0], status == 2)
    tcm = u[1] < tcm_share
    z = rng.standard_normal(n)
    log_growth = np.log1p(cost_growth) / DAYS_PER_YEAR
    total = (mean_cost[level] * cell_cost_factor[cell]) * np.exp(
        sigma * z + (log_growth * (when - day) - 0.5 * sigma * sigma)
    )
    return Admissions(
        person=person,
        first=first,
        day=when,
        status=status,
        cell=cell,
        level=level,
        tcm=tcm,
        group=population.arrays["group"][person],
        total=total,
        extra_stay=np.maximum(mean_stay - 1.0, 0.0)[level],
    )
