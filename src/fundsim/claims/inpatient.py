"""Inpatient admissions: counts per age × sex × scheme cell, people, level, cost and stay.

Each policy year the population is sorted once by cell (age at the year start, sex, scheme
at the year start) with a radix sort of a 16-bit key. Every tick draws a Poisson count per
cell on everyone indexed in the cell (rate × people × tick length × multipliers), picks that
many uniformly within the cell and keeps those who are members on the admission day:
thinning a Poisson process keeps it Poisson, so admissions follow rate × members exactly,
including newborns, leavers and newcomers of the year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..benefits.terms import LEVELS
from ..population.arrays import DAYS_PER_YEAR, Population
from ..scenario.regiondata import MAX_AGE, SCHEMES, Table

N_AGES = MAX_AGE + 1
N_CELLS = N_AGES * 2 * len(SCHEMES)
IDLE_CELL = N_CELLS  # people indexed but not members at the year start and not entering


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
    """People sorted by cell, for the year."""

    order: NDArray[np.intp]
    start: NDArray[np.int64]
    size: NDArray[np.int64]
    scheme_of_cell: NDArray[np.int64]

    @classmethod
    def from_cells(cls, cell: NDArray[np.int16]) -> CellIndex:
        """Index rows by their cell (``IDLE_CELL`` for rows that are not members)."""
        order = np.argsort(cell, kind="stable")  # radix sort for 16-bit keys
        size = np.bincount(cell, minlength=N_CELLS + 1).astype(np.int64)
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        scheme_of_cell = np.append(np.arange(N_CELLS) % len(SCHEMES), 0)
        return cls(order=order, start=start, size=size, scheme_of_cell=scheme_of_cell)


@dataclass(frozen=True)
class Admissions:
    """Admissions of one tick, one entry each."""

    person: NDArray[np.intp]
    day: NDArray[np.float64]
    status: NDArray[np.int8]  # scheme on the day (0 active, 1 retired, 2 URRBMI)
    cell: NDArray[np.int64]
    level: NDArray[np.int64]
    tcm: NDArray[np.bool_]
    group: NDArray[np.int8]
    total: NDArray[np.float64]
    stay: NDArray[np.int64]


def draw_admissions(
    population: Population,
    index: CellIndex,
    cell_rate: NDArray[np.float64],
    rate_multiplier: NDArray[np.float64],
    day: float,
    length: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.int64]]:
    """People admitted in ``[day, day + length)``: (person, admission day, cell).

    ``rate_multiplier`` is per scheme (trend × shock × payment volume effects).
    """
    lam = cell_rate * index.size * (length / DAYS_PER_YEAR)
    lam = lam * rate_multiplier[index.scheme_of_cell]
    counts = rng.poisson(lam)
    cells = np.repeat(np.arange(len(counts)), counts)
    n = len(cells)
    u = rng.random((2, n))
    position = index.start[cells] + (u[0] * index.size[cells]).astype(np.int64)
    person = index.order[position]
    when = day + u[1] * length
    keep = population.member_at(person, when)
    return person[keep], when[keep], cells[keep]


def draw_care(
    population: Population,
    person: NDArray[np.intp],
    when: NDArray[np.float64],
    cell: NDArray[np.int64],
    level_cumulative: NDArray[np.float64],
    mean_cost: NDArray[np.float64],
    cell_cost_factor: NDArray[np.float64],
    sigma: float,
    tcm_share: float,
    mean_stay: NDArray[np.float64],
    rng: np.random.Generator,
) -> Admissions:
    """Level, TCM, cost and length of stay of each admission.

    Parameters
    ----------
    level_cumulative : shape (2, len(LEVELS)): cumulative level mix of UEBMI (row 0) and
        URRBMI (row 1)
    mean_cost : shape (len(LEVELS),) mean cost per case at the admission date [yuan]
    cell_cost_factor : relative cost per case of each cell
    sigma : lognormal sigma of the cost around its mean
    mean_stay : shape (len(LEVELS),) mean length of stay [days]
    """
    n = len(person)
    status = population.scheme_at(person, when)
    u = rng.random((2, n))
    last = len(LEVELS) - 1
    level = np.where(
        status == 2,
        np.minimum(np.searchsorted(level_cumulative[1], u[0], side="right"), last),
        np.minimum(np.searchsorted(level_cumulative[0], u[0], side="right"), last),
    )
    tcm = u[1] < tcm_share
    z = rng.standard_normal(n)
    total = mean_cost[level] * cell_cost_factor[cell] * np.exp(sigma * z - 0.5 * sigma * sigma)
    stay = 1 + rng.poisson(np.maximum(mean_stay[level] - 1.0, 0.0))
    return Admissions(
        person=person,
        day=when,
        status=status,
        cell=cell,
        level=level,
        tcm=tcm,
        group=population.arrays["group"][person],
        total=total,
        stay=stay,
    )
