"""Outpatient care as per-person annual spend, paid in aggregate (architecture §2 "outpatient").

A member's annual general-outpatient spend X is lognormal (mean ``spend``, sigma
``care.outpatient_sigma``); the fund pays ``ratio`` × (X − deductible)⁺ up to the annual
cap. Chronic and special outpatient care does the same for the certified share of members
(no deductible). The expectation and variance per member come in closed form from the
lognormal's partial moments; the total for N members is their sum, drawn once a year as a
normal (the central limit theorem holds well for thousands of independent members) and paid
in monthly instalments in proportion to the members of each month.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from ..codes import LEVELS, RETIRED, SCHEME_POOL, SCHEMES, URRBMI

LOCAL = tuple(lv for lv in LEVELS if lv != "out_of_area")  # outpatient care is local


def _partial(k: int, mean: float, sigma: float, c: float) -> float:
    """E[X^k · 1{X ≤ c}] of a lognormal with this mean and sigma."""
    if c <= 0:
        return 0.0
    if math.isinf(c):
        return math.exp(k * _mu(mean, sigma) + 0.5 * k * k * sigma * sigma)
    mu = _mu(mean, sigma)
    return math.exp(k * mu + 0.5 * k * k * sigma * sigma) * float(
        ndtr((math.log(c) - mu - k * sigma * sigma) / sigma)
    )


def _mu(mean: float, sigma: float) -> float:
    return math.log(mean) - 0.5 * sigma * sigma


def _above(mean: float, sigma: float, c: float) -> float:
    """P(X > c)."""
    if c <= 0:
        return 1.0
    if math.isinf(c):
        return 0.0
    return float(ndtr(-(math.log(c) - _mu(mean, sigma)) / sigma))


def layer_moments(mean: float, sigma: float, lo: float, hi: float) -> tuple[float, float]:
    """Mean and variance of Y = min(X, hi) − min(X, lo) for lognormal X (mean, sigma), lo ≤ hi.

    Y is 0 below ``lo``, X − lo between, hi − lo above. ``hi`` may be ``inf``.
    """
    if mean <= 0 or hi <= lo:
        return 0.0, 0.0
    if sigma <= 0:
        y = min(max(mean - lo, 0.0), hi - lo)
        return y, 0.0
    p_mid = _above(mean, sigma, lo) - _above(mean, sigma, hi)
    m1 = _partial(1, mean, sigma, hi) - _partial(1, mean, sigma, lo)
    m2 = _partial(2, mean, sigma, hi) - _partial(2, mean, sigma, lo)
    tail = _above(mean, sigma, hi)
    width = hi - lo if math.isfinite(hi) else 0.0
    ey = m1 - lo * p_mid + width * tail
    ey2 = m2 - 2 * lo * m1 + lo * lo * p_mid + width * width * tail
    return ey, max(ey2 - ey * ey, 0.0)


def benefit_moments(
    spend: float, sigma: float, deductible: float, ratio: float, cap: float
) -> tuple[float, float]:
    """Mean and variance of the fund's annual payment min(ratio × (X − d)⁺, cap) per person."""
    if ratio <= 0 or spend <= 0:
        return 0.0, 0.0
    hi = deductible + cap / ratio
    mean, var = layer_moments(spend, sigma, deductible, hi)
    return ratio * mean, ratio * ratio * var


def yearly_total(members: float, mean: float, var: float, rng: np.random.Generator) -> float:
    """The year's total for ``members`` independent people (normal by the CLT, never below 0)."""
    if members <= 0:
        return 0.0
    return max(members * mean + math.sqrt(members * var) * float(rng.standard_normal()), 0.0)


def general_terms(
    s: Mapping[str, Any], status: int, inflation: float
) -> tuple[float, float, float]:
    """General outpatient pooling of one membership status as the terms of a single annual
    spend X: the fund pays ``ratio`` × (X − ``deductible``)⁺ within ``cap``.

    A member's spend is split across the levels by ``care.outpatient_visits.level_share``
    (sᵢ), each level's visits costing ``cost_per_visit`` (cᵢ, grown by ``inflation``); a
    per-visit deductible vᵢ leaves qᵢ = sᵢ·(1 − vᵢ/cᵢ)⁺ of the spend payable, the annual
    deductible D is used up across the levels in proportion to it, and each level's rest is
    paid at its ratio rᵢ. So the fund pays Σ rᵢ·(qᵢX − D·qᵢ/Q)⁺ = a·(X − D/Q)⁺ with
    Q = Σ qᵢ and a = Σ rᵢqᵢ: the closed form of :func:`benefit_moments` holds by level.
    (The claim calculator settles visits one by one in date order instead.)
    """
    scheme = SCHEME_POOL[status]
    b = f"benefits.{scheme}.outpatient"
    who = ("retired." if status == RETIRED else "active.") if scheme == "uebmi" else ""
    share = np.array(
        [float(s[f"care.outpatient_visits.level_share.{scheme}.{lv}"]) for lv in LOCAL]
    )
    ratio = np.array([float(s[f"{b}.ratio.{who}{lv}"]) for lv in LOCAL])
    per_visit = np.array([float(s[f"{b}.visit_deductible.{lv}"]) for lv in LOCAL])
    deductible = float(s[f"{b}.deductible" + (f".{who[:-1]}" if who else "")])
    cap = float(s[f"{b}.annual_cap" + (f".{who[:-1]}" if who else "")])
    if not per_visit.any():  # the shares add up to 1 (a rule of the scenario)
        payable, q = 1.0, share
    else:
        cost = np.array([float(s[f"care.outpatient_visits.cost_per_visit.{lv}"]) for lv in LOCAL])
        q = share * np.clip(1.0 - per_visit / (cost * inflation), 0.0, None)
        payable = float(q.sum())
    if payable <= 0:
        return 0.0, 0.0, 0.0
    # one ratio at every level: that ratio, exactly
    paid = float(ratio[0]) if (ratio == ratio[0]).all() else float(np.dot(ratio, q))
    return deductible / payable, paid, cap


def outpatient_year(
    s: Mapping[str, Any],
    inflation: float,
    members: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Per-member outpatient benefit of the year, (general, special) × scheme [yuan/year],
    with its noise drawn once; ``members``: weighted members of each scheme at the year
    start; ``inflation``: medical costs over the start's, with the year's shock. The special
    row holds chronic and special outpatient care and, for residents, the hypertension and
    diabetes drug cover (两病) where the region models it apart."""
    sigma = float(s["care.outpatient_sigma"])
    out = np.zeros((2, len(SCHEMES)))
    for status in range(len(SCHEMES)):
        scheme = SCHEME_POOL[status]
        b = f"benefits.{scheme}"
        c = f"care.outpatient.{scheme}"
        spend = float(s[f"{c}.spend"])
        two = [(0.0, 0.0, 0.0, 0.0, 0.0)]
        if status == URRBMI and float(s[f"{c}.two_diseases_prevalence"]) > 0:
            # 两病 patients' drugs leave general pooling for their own cover
            p2, m2 = float(s[f"{c}.two_diseases_prevalence"]), float(s[f"{c}.two_diseases_spend"])
            spend -= p2 * m2
            t = f"{b}.two_diseases"
            two = [
                (
                    p2,
                    m2,
                    float(s[f"{t}.deductible"]),
                    float(s[f"{t}.ratio"]),
                    float(s[f"{t}.annual_cap"]),
                )
            ]
        deductible, ratio, cap = general_terms(s, status, inflation)
        mean, var = benefit_moments(spend * inflation, sigma, deductible, ratio, cap)
        n = max(members[status], 1.0)
        out[0, status] = yearly_total(n, mean, var, rng) / n
        covers = [
            (
                float(s[f"{c}.special_prevalence"]),
                float(s[f"{c}.special_spend"]),
                0.0,
                float(s[f"{b}.special_outpatient.ratio"]),
                float(s[f"{b}.special_outpatient.annual_cap"]),
            ),
            *two,
        ]
        pm = pv = 0.0
        for prevalence, patient_spend, d, r, limit in covers:
            smean, svar = benefit_moments(patient_spend * inflation, sigma, d, r, limit)
            # per member: a patient with probability p; mean p·m, variance p·v + p(1−p)·m²
            pm += prevalence * smean
            pv += prevalence * svar + prevalence * (1 - prevalence) * smean**2
        out[1, status] = yearly_total(n, pm, pv, rng) / n
    return out
