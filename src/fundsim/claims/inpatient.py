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

Position within the cell and admission time are packed in one 64-bit key, drawn already in
order (architecture §5 sorts them; order statistics drawn directly need no sort), which leaves the
batch grouped by person in time order: the benefit rules need no further sort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..codes import FILINGS, LEVELS, SCHEMES
from ..population.arrays import DAYS_PER_YEAR, N_CELLS, Population
from ..population.kernels import order_by_cell
from ..scenario.regiondata import MAX_AGE, Table
from .kernels import (
    TICKS,
    admission_keys,
    decode_admissions,
    level_bounds,
    price_admissions,
)

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

    order: NDArray[np.int32]  # rows by cell (int32 halves the memory a year streams through)
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
        order = np.empty(len(cell), dtype=np.int32)
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


VOLUME_BOUND = 1.25  # candidates are drawn at this × the rate; volume effects thin them


@dataclass(frozen=True)
class Candidates:
    """A policy year's candidate admissions, drawn once at its start (common random numbers).

    Counts are Poisson per cell on rate × people × the year's multipliers shared by every
    scenario (trend, shock) × ``bound``, an upper bound on any volume effect; each batch
    keeps a candidate with probability (its volume effect) / ``bound`` (thinning keeps the
    process Poisson). A candidate's key packs its position in the cell index and its time
    quantile, so sorting the keys groups the year by person in time order; the rest of its
    randomness is hashed from its key and ``base``. Scenarios that differ only in payment
    or benefits therefore see the same candidates, people, days, levels and cost draws.
    """

    keys: NDArray[np.int64]  # sorted
    cells: NDArray[np.int64]
    start: float  # first day of the year
    length: float  # days
    beta: float  # log(1 + admission trend) × length / year: the time density ∝ exp(beta t)
    base: np.uint64  # the year's key of the counter-based draws
    bound: float

    @classmethod
    def draw(
        cls,
        index: CellIndex,
        cell_rate: NDArray[np.float64],
        multiplier: float,
        start: float,
        length: float,
        growth: float,
        rng: np.random.Generator,
        bound: float = VOLUME_BOUND,
    ) -> Candidates:
        lam = cell_rate * index.size * (length / DAYS_PER_YEAR) * trend_factor(growth, length)
        counts = rng.poisson(lam * (multiplier * bound))
        base = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
        keys, cells = admission_keys(counts, index.start, index.size, base)  # sorted
        beta = float(np.log1p(growth) * length / DAYS_PER_YEAR)
        return cls(keys, cells, start, length, beta, base, bound)

    def tick(self, day: float) -> int:
        """The first time tick at or after ``day``."""
        x = (day - self.start) / self.length
        q = np.expm1(self.beta * x) / np.expm1(self.beta) if abs(self.beta) > 1e-12 else x
        return int(np.ceil(min(max(q, 0.0), 1.0) * TICKS))


def draw_admissions(
    population: Population,
    index: CellIndex,
    candidates: Candidates,
    day: float,
    end: float,
    volume: float,
) -> tuple[
    NDArray[np.intp],
    NDArray[np.bool_],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int8],
    NDArray[np.int64],
]:
    """People admitted in ``[day, end)``: (person, first, admission day, cell, status, key).

    ``volume`` is the batch's volume effect (DRG/DIP); at most ``candidates.bound``. The
    result is grouped by person in time order; ``first`` marks each person's first
    admission.
    """
    if volume > candidates.bound:
        raise ValueError(
            f"a volume effect of {volume:.3f} exceeds the candidates' bound {candidates.bound}"
        )
    arrays = population.arrays
    c = candidates
    person, first, when, cells, status, keys = decode_admissions(
        c.keys,
        c.cells,
        index.order,
        index.scheme_of_cell,
        index.changing,
        arrays["entry"],
        arrays["exit"],
        arrays["scheme"],
        arrays["switch_day"],
        arrays["switch_to"],
        c.start,
        c.length,
        c.beta,
        c.tick(day),
        c.tick(end) if end < c.start + c.length else TICKS,
        c.base,
        volume / c.bound,
    )
    return person, first, when, cells, status, keys


def draw_care(
    population: Population,
    person: NDArray[np.intp],
    first: NDArray[np.bool_],
    when: NDArray[np.float64],
    cell: NDArray[np.int64],
    status: NDArray[np.int8],
    keys: NDArray[np.int64],
    base: np.uint64,
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
    filing_shares: NDArray[np.float64] | None = None,
) -> Admissions:
    """Level, TCM, cost, policy-range cost and benefit terms of each admission (their
    randomness hashed from each admission's candidate ``keys`` and the year's ``base``).

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
    filing_shares : shares of out-of-area stays by filing status (FILINGS; None: all filed);
        the term tables then hold a block of statuses per filing status, filed first
    """
    shares = np.eye(len(FILINGS))[0] if filing_shares is None else filing_shares  # all filed
    filing_bounds = level_bounds(np.cumsum(shares)[None, :])[0]
    total, policy_range, key, by_status = price_admissions(
        person,
        when,
        cell,
        status,
        keys,
        base,
        day,
        sigma,
        float(np.log1p(cost_growth) / DAYS_PER_YEAR),
        population.arrays["group"],
        level_bounds(level_cumulative),
        mean_cost,
        cell_cost_factor,
        tcm_share,
        np.maximum(mean_stay - 1.0, 0.0),
        policy_range_share,
        term_shape,
        filing_bounds,
        LEVELS.index("out_of_area"),
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
