"""Claims awaiting settlement, the monthly payment to hospitals, the yearly prepayment and
the year-end clearing (architecture §2 "settlement").

:class:`Payables` holds each month's claims by paying layer until they are paid; the pure
functions below return the postings of each payment. Pools are looped over as
:data:`fundsim.codes.POOLS` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import ACCOUNTS, POOLS
from ..finance.books import Posting, Postings
from . import budget as global_budget

WORKDAYS_TO_DAYS = 7 / 5


def lag_days(s: Mapping[str, Any]) -> float:
    """The settlement lag in calendar days (the parameter counts working days)."""
    return int(s["settlement.lag_days"]) * WORKDAYS_TO_DAYS


@dataclass
class PoolYears:
    """Per year and pool: what the global budget and the prepayment need to know."""

    drg_incurred: NDArray[np.float64]  # DRG claims by admission year
    drg_paid: NDArray[np.float64]  # DRG claims paid during the year (net of the deposit)
    pool_incurred: NDArray[np.float64]  # the pool's inpatient claims by admission year
    drg_budget: NDArray[np.float64]  # the global budget set at the clearing
    retention_due: NDArray[np.float64]  # procurement savings hospitals keep
    prepaid: NDArray[np.float64]  # the advance of the year

    @classmethod
    def empty(cls, years: int) -> PoolYears:
        shape = (years, len(POOLS))
        zeros = [np.zeros(shape) for _ in range(5)]
        return cls(zeros[0], zeros[1], zeros[2], np.full(shape, np.nan), zeros[3], zeros[4])


@dataclass
class Payables:
    """Claims awaiting settlement: per month of admission, per (account, flow) [yuan], and
    the DRG part of each pool's inpatient claims."""

    months: int
    pending: list[dict[tuple[str, str], float]] = field(init=False)
    drg: NDArray[np.float64] = field(init=False)
    # each pool's inpatient claims by month of admission (what supervision reviews)
    booked: NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        self.pending = [{} for _ in range(self.months)]
        self.drg = np.zeros((self.months, len(POOLS)))
        self.booked = np.zeros((self.months, len(POOLS)))

    def book(
        self,
        first_month: int,
        sums: NDArray[np.float64],
        drg_share: float,
        retention_share: float,
        years: PoolYears,
        y: int,
        incurred: NDArray[np.float64],
        delay: int = 0,
    ) -> None:
        """Book a batch's claims (``sums``: months × pool × paying layer, weighted) from
        ``first_month`` on, adding them to ``incurred`` (the year's spending by account).
        ``delay``: months after their admission month that the claims come in to be paid (a
        reimbursement the patient files); those due after the horizon stay unpaid."""
        n_months = len(sums)
        for p, pool in enumerate(POOLS):
            for layer, (account, flow) in enumerate(pool.payers):
                for k in range(n_months):
                    amount = float(sums[k, p, layer])
                    if amount and first_month + k + delay < self.months:
                        slot = self.pending[first_month + k + delay]
                        slot[(account, flow)] = slot.get((account, flow), 0.0) + amount
                total = float(sums[:, p, layer].sum())
                incurred[ACCOUNTS.index(account)] += total
            inpatient = sums[:, p, 0]
            total = float(inpatient.sum())
            years.pool_incurred[y, p] += total
            self.booked[first_month : first_month + n_months, p] += inpatient
            if drg_share > 0:
                due = first_month + delay
                shown = inpatient[: max(self.months - due, 0)]
                self.drg[due : due + len(shown), p] += shown * drg_share
                years.drg_incurred[y, p] += total * drg_share
            if retention_share > 0:
                bonus = retention_share * total
                years.retention_due[y, p] += bonus
                incurred[ACCOUNTS.index(pool.account)] += bonus

    def settle(self, m: int, deposit: float, years: PoolYears, y: int) -> Postings:
        """Pay month ``m``'s claims, DRG claims net of the quality deposit ``deposit``."""
        out: Postings = []
        pool_of = {pool.account: p for p, pool in enumerate(POOLS)}
        for (account, flow), amount in sorted(self.pending[m].items()):
            if flow == "inpatient":
                p = pool_of[account]
                drg = self.drg[m, p]
                withheld = drg * deposit
                years.drg_paid[y, p] += drg - withheld
                amount -= withheld
            out.append(Posting(account, flow, amount))
        self.pending[m].clear()
        return out

    def opening(self, scale: float) -> Postings:
        """A month before the horizon, unpaid on day 0, estimated as the first month's
        claims so far × ``scale``."""
        return [Posting(a, f, amount * scale) for (a, f), amount in sorted(self.pending[0].items())]


def opening_due_days(s: Mapping[str, Any], month: float) -> list[float]:
    """Due days (on the horizon's clock) of the months before the horizon still unpaid on
    day 0, earliest first."""
    lag = lag_days(s)
    ends = sorted(-1.0 - k * month for k in range(int(lag // month) + 1))
    return [end + lag for end in ends if end + lag >= 0]


def prepayment(advance: NDArray[np.float64]) -> Postings:
    """The advance to hospitals of each pool (negative: recovered)."""
    return [Posting(pool.account, "prepayment", advance[p]) for p, pool in enumerate(POOLS)]


def advance(years: PoolYears, y: int, months: float) -> NDArray[np.float64]:
    """``months`` of last year's inpatient claims of each pool."""
    out: NDArray[np.float64] = years.pool_incurred[y - 1] / 12 * months
    return out


def clearing(
    years: PoolYears,
    y: int,
    values: Mapping[str, float],
    share_change: float,
    incurred_spending: NDArray[np.float64],
) -> Postings:
    """Year ``y``'s global budget settled and its procurement retention paid, per pool; the
    settlement's change to year y's spending is added to ``incurred_spending`` (by account).
    ``values``: the global budget's parameters for year ``y``; ``share_change``: growth of
    the DRG share from year y − 1."""
    out: Postings = []
    for p, pool in enumerate(POOLS):
        incurred = years.drg_incurred[y, p]
        if incurred > 0:
            previous = years.drg_incurred[y - 1, p] if y > 0 else 0.0
            budget = previous * (1 + values["growth"]) if previous > 0 else incurred
            budget = budget * share_change
            years.drg_budget[y, p] = budget
            final = global_budget.final_amount(
                incurred, budget, values["surplus_retained"], values["overrun_shared"]
            )
            out.append(Posting(pool.account, "clearing", final - years.drg_paid[y, p]))
            incurred_spending[ACCOUNTS.index(pool.account)] += final - incurred
        out.append(Posting(pool.account, "procurement_retention", years.retention_due[y, p]))
    return out
