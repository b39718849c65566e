"""A batch of inpatient claims: the year's candidates, then each batch's admissions priced,
settled by the benefit rules on the claimants' running annual totals, and summed by month of
admission and paying layer (architecture §2 "inpatient")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..benefits.kernel import settle_grouped
from ..benefits.rules import RunningTotals
from ..benefits.tables import TermTables
from ..codes import FILINGS, LEVELS, POOLS, SCHEME_POOL, names
from ..payment.effects import drg_multipliers, out_of_area_multiplier, procurement_multiplier
from ..population.arrays import DAYS_PER_YEAR, Population
from .inpatient import VOLUME_BOUND, Candidates, CellIndex, draw_admissions, draw_care
from .kernels import book_by_month

Care = dict[str, Any]
POOL_NAMES = names(POOLS)
AWAY = LEVELS.index("out_of_area")


def care_terms(s: Mapping[str, Any], start: Mapping[str, Any]) -> Care:
    """The care and payment figures of a snapshot, computed once per breakpoint (``start``:
    the horizon start's snapshot, against which DRG and procurement effects are measured)."""
    mix = np.array(
        [[float(s[f"care.level_mix.{sch}.{lv}"]) for lv in LEVELS] for sch in POOL_NAMES]
    )
    drg_cost, drg_volume = drg_multipliers(s, start)
    cost_per_case = np.array([float(s[f"care.cost_per_case.{lv}"]) for lv in LEVELS])
    # out-of-area stays under the treating place's DRG/DIP: their own cost effect
    cost_per_case[AWAY] *= out_of_area_multiplier(s, start)
    return {
        "cost_per_case": cost_per_case,
        "level_cumulative": np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1),
        "stay": np.array([float(s[f"care.length_of_stay.{lv}"]) for lv in LEVELS]),
        # the policy range, less the class-B items' first self-pay (乙类先行自付)
        "policy_range_share": np.array(
            [
                float(s[f"benefits.policy_range_share.{scheme}"])
                - float(s["care.class_b_share"])
                * float(s[f"benefits.{scheme}.inpatient.class_b_selfpay"])
                for scheme in SCHEME_POOL
            ]
        ),
        "drg_cost": drg_cost,
        "drg_volume": drg_volume,
        "procurement": procurement_multiplier(s, start),
        "admission_trend": float(s["care.admission_trend"]),
        "cost_trend": float(s["care.cost_trend"]),
        "cost_sigma": float(s["care.cost_sigma"]),
        "admission_level": float(s["care.admission_level"]),
        "cost_level": float(s["care.cost_level"]),
        "tcm_share": float(s["care.tcm_share"]),
        "drg_share": float(s["payment.drg.share"])
        if bool(s["payment.global_budget.enabled"])
        else 0.0,
        "retention": float(s["payment.procurement.retention"]),
        "filing_shares": np.array([float(s[f"care.out_of_area_filing.{f}"]) for f in FILINGS]),
        "direct_share": float(s["settlement.out_of_area.direct_share"]),
        "reimbursement_months": round(float(s["settlement.out_of_area.reimbursement_lag_months"])),
    }


def candidates(
    care: Care,
    index: CellIndex,
    cell_rate: NDArray[np.float64],
    shock: float,
    start: float,
    length: float,
    rng: np.random.Generator,
    since: float = 0.0,
) -> Candidates:
    """The year's candidate admissions, on the multipliers every scenario shares; ``since``
    [days]: from the price year's 1 January (``care.price_year``) to the first day simulated,
    so that the admission level holds in the price year and the trend compounds from it."""
    shared = (
        (1 + care["admission_trend"]) ** ((start + since) / DAYS_PER_YEAR)
        * shock
        * care["admission_level"]
    )
    bound = max(VOLUME_BOUND, float(care["drg_volume"]))
    return Candidates.draw(
        index, cell_rate, shared, start, length, care["admission_trend"], rng, bound=bound
    )


@dataclass
class Batch:
    """A batch's admissions: counts, cost and extra days by status, and the three paying
    layers' sums (unweighted) by month from ``first_month`` × pool × layer, all of them and
    of the out-of-area stays (``away``, a part of ``sums``)."""

    by_status: NDArray[np.float64]  # (status, (count, cost, extra stay days))
    first_month: int
    sums: NDArray[np.float64]
    totals: RunningTotals  # the claimants' annual totals after the batch
    away: NDArray[np.float64]


def admit(
    population: Population,
    index: CellIndex,
    pool: Candidates,
    care: Care,
    terms: TermTables,
    totals: RunningTotals,
    cell_cost: NDArray[np.float64],
    cost_shock: float,
    day: float,
    length: float,
    carry: bool,
    month_of_day: NDArray[np.intp],
    since: float = 0.0,
) -> Batch | None:
    """Select, price and settle the admissions of ``[day, day + length)`` (None if there are
    none). ``carry``: later batches of the same benefit year follow, so keep the claimants'
    annual totals. ``since`` [days]: from the price year's 1 January to the first day
    simulated (the cost per case holds then; the trend compounds from it)."""
    c = care
    person, first, when, cell, status, keys = draw_admissions(
        population, index, pool, day, day + length, float(c["drg_volume"])
    )
    if len(person) == 0:
        return None
    cost_level = (
        (1 + c["cost_trend"]) ** ((day + since) / DAYS_PER_YEAR)
        * c["drg_cost"]
        * c["procurement"]
        * c["cost_level"]
        * cost_shock
    )
    adm = draw_care(
        population,
        person,
        first,
        when,
        cell,
        status,
        keys,
        pool.base,
        day,
        c["level_cumulative"],
        c["cost_per_case"] * cost_level,
        c["cost_trend"],
        cell_cost,
        c["cost_sigma"],
        c["tcm_share"],
        c["stay"],
        c["policy_range_share"],
        terms.shape,
        c["filing_shares"],
    )
    prior = totals.prior(person)
    paid = settle_grouped(terms, adm.first, adm.total, adm.policy_range, adm.key, prior)
    if carry:
        totals = totals.add(person, adm.policy_range, paid)
    days = len(month_of_day)
    m0 = int(month_of_day[int(day)])
    m1 = int(month_of_day[min(int(np.ceil(day + length)), days) - 1])
    _, n_levels, n_tcm, n_groups = terms.shape
    sums, away_sums = book_by_month(
        adm.day,
        adm.status,
        paid.fund,
        paid.layer,
        paid.assistance,
        month_of_day,
        m0,
        m1,
        adm.key,
        n_tcm * n_groups,
        n_levels,
        AWAY,
    )
    return Batch(adm.by_status, m0, sums, totals, away_sums)
