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

from ..population.arrays import DAYS_PER_YEAR, N_CELLS, Population
from ..population.kernels import order_by_cell
from ..scenario.regiondata import MAX_AGE, SCHEMES, Table
from .kernels import admission_keys, decode_admissions, price_admissions

N_AGES = MAX_AGE + 1


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
        order = np.empty(len(cell), dtype=np.intp)
        order_by_cell(cell, size, order)  # = np.argsort(cell, kind="stable")
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
    total: NDArray[np.float64]  # cost of the admission [yuan]
    policy_range: NDArray[np.float64]  # the part inside the policy range [yuan]
    key: NDArray[np.intp]  # index of the claim's terms in the flattened term tables
    # per status (row): admissions, total cost [yuan], expected bed days beyond the first
    by_status: NDArray[np.float64]


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
    u = rng.random(int(counts.sum()))
    beta = np.log1p(growth) * length / DAYS_PER_YEAR
    keys, cells = admission_keys(counts, index.start, index.size, u)
    keys.sort()  # positions stay within their cell's range, so ``cells`` keeps its order
    arrays = population.arrays
    person, first, quantile, cells, status = decode_admissions(
        keys,
        cells,
        index.order,
        index.scheme_of_cell,
        index.changing,
        arrays["entry"],
        arrays["exit"],
        arrays["scheme"],
        arrays["switch_day"],
        arrays["switch_to"],
        day,
        length,
        beta,
    )
    # admission day from its quantile: the inverse CDF of the density ∝ exp(beta t)
    if abs(beta) > 1e-12:
        when = np.log1p(quantile * np.expm1(beta))
        when *= length / beta
    else:
        when = quantile * length
    when += day
    return person, first, when, cells, status


def draw_care(
    population: Population,
    person: NDArray[np.intp],
    first: NDArray[np.bool_],
    when: NDArray[np.float64],
    cell: NDArray[np.int64],
    status: NDArray[np.int8],
    day: float,
    level_cumulative: NDArray[np.float64],
    mean_cost: NDArray[np.float64],
    cost_growth: float,
    cell_cost_factor: NDArray[np.float64],
    sigma: float,
    tcm_share: float,
    mean_stay: NDArray[np.float64],
    policy_range_share: NDArray[np.float64],
    term_shape: tuple[int, int, int, int],
    rng: np.random.Generator,
) -> Admissions:
    """Level, TCM, cost, policy-range cost and benefit terms of each admission.

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
    policy_range_share : share of the cost inside the policy range, by scheme status
    term_shape : shape of the benefit term tables (status, level, TCM, group)
    """
    n = len(person)
    u = rng.random(n)
    spread = rng.standard_normal(n)
    spread *= sigma
    spread += (when - day) * float(np.log1p(cost_growth) / DAYS_PER_YEAR) - 0.5 * sigma * sigma
    np.exp(spread, out=spread)  # lognormal with mean 1, times inflation to the admission day
    total, policy_range, key, by_status = price_admissions(
        person,
        when,
        cell,
        status,
        u,
        spread,
        population.arrays["group"],
        np.ascontiguousarray(level_cumulative),
        mean_cost,
        cell_cost_factor,
        tcm_share,
        np.maximum(mean_stay - 1.0, 0.0),
        policy_range_share,
        term_shape,
    )
    return Admissions(
        person=person,
        first=first,
        day=when,
        status=status,
        total=total,
        policy_range=policy_range,
        key=key,
        by_status=by_status,
    )
