"""Benefit rules of outpatient visits, claim by claim, for the claim calculator.

Two covers, each with its own running totals per person and year:

- **general outpatient pooling** (普通门诊统筹, 门诊共济): a per-visit deductible of the
  visit's level (``visit_deductible``), then the annual deductible (once a year, visits at
  every level counting towards it), then the level's ratio (retirees their own), within the
  annual cap of all levels together;
- **hypertension and diabetes drugs** (两病门诊用药保障, residents): an annual deductible, one
  ratio, an annual cap.

Order within a visit: per-visit deductible, annual deductible, ratio, annual cap; the patient
pays the rest. The model prices the same terms as a closed form over a member's annual
spend (:func:`fundsim.claims.outpatient.general_terms`); a statistical test holds the two to
the same mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import RETIRED, SCHEME_POOL
from .rules import group_starts, running_before, running_sums

Array = NDArray[np.float64]

KINDS = ("inpatient", "outpatient", "two_diseases")  # what a claim is


def visit_terms(s: Mapping[str, Any], status: int, level: str, kind: str) -> dict[str, float]:
    """The terms of one outpatient visit: per-visit deductible, annual deductible, ratio and
    annual cap of its cover (``kind`` outpatient or two_diseases)."""
    scheme = SCHEME_POOL[status]
    if kind == "two_diseases":
        if scheme != "urrbmi":
            raise ValueError("the hypertension and diabetes drug cover is the residents'")
        b = "benefits.urrbmi.two_diseases"
        return {
            "visit_deductible": 0.0,
            "deductible": float(s[f"{b}.deductible"]),
            "ratio": float(s[f"{b}.ratio"]),
            "cap": float(s[f"{b}.annual_cap"]),
        }
    b = f"benefits.{scheme}.outpatient"
    who = ("retired" if status == RETIRED else "active") if scheme == "uebmi" else ""
    at = f".{who}" if who else ""
    return {
        "visit_deductible": float(s[f"{b}.visit_deductible.{level}"]),
        "deductible": float(s[f"{b}.deductible{at}"]),
        "ratio": float(s[f"{b}.ratio{at}.{level}"]),
        "cap": float(s[f"{b}.annual_cap{at}"]),
    }


@dataclass(frozen=True)
class VisitTotals:
    """A person's totals of one cover in a year: the annual deductible used so far and the
    fund's payment before its cap (the cap is applied to this running amount)."""

    used: Array
    uncapped: Array


@dataclass(frozen=True)
class Visits:
    """What each visit's layers come to [yuan]."""

    deductible: Array  # per-visit and annual deductible together
    fund: Array
    patient: Array
    totals_after: VisitTotals  # each visit's person's totals after it
    # the running sums after the last visit, for the next batch (settle_visits' carry)
    carry: tuple[float, float] = (0.0, 0.0)


def settle_visits(
    first: NDArray[np.bool_],
    total: Array,
    policy_range: Array,
    terms: Mapping[str, Array],
    prior: VisitTotals,
    carry: tuple[float, float] = (0.0, 0.0),
) -> Visits:
    """Settle visits of one cover grouped by person in date order (``first`` marks each
    person's first), under terms constant for a person's visits here; ``prior`` the totals
    of the person's earlier visits of the year, per visit. Visits cut into batches at
    persons give the payments of one call, float for float, when each batch gets the
    ``carry`` of the one before (:attr:`Visits.carry`)."""
    index = group_starts(first)
    per_visit = np.minimum(terms["visit_deductible"], policy_range)
    rest = policy_range - per_visit
    # the annual deductible: what is left of it after earlier visits, used up in date order
    left = np.maximum(terms["deductible"] - prior.used, 0.0)
    rest_before = running_before(rest, index, carry[0])
    annual = np.minimum(rest_before + rest, left) - np.minimum(rest_before, left)
    uncapped = (rest - annual) * terms["ratio"]
    before = prior.uncapped + running_before(uncapped, index, carry[1])
    cap = terms["cap"]
    fund = np.minimum(before + uncapped, cap) - np.minimum(before, cap)
    return Visits(
        deductible=per_visit + annual,
        fund=fund,
        patient=total - fund,
        totals_after=VisitTotals(
            used=prior.used + np.minimum(rest_before + rest, left),
            uncapped=before + uncapped,
        ),
        carry=(
            _last(running_sums(rest, carry[0]), carry[0]),
            _last(running_sums(uncapped, carry[1]), carry[1]),
        ),
    )


def _last(sums: Array, carry: float) -> float:
    return float(sums[-1]) if len(sums) else carry
