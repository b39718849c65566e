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

from ..codes import RETIRED, SCHEME_POOL, SCHEMES


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


def outpatient_year(
    s: Mapping[str, Any],
    inflation: float,
    members: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Per-member outpatient benefit of the year, (general, special) × scheme [yuan/year],
    with its noise drawn once; ``members``: weighted members of each scheme at the year
    start; ``inflation``: medical costs over the start's, with the year's shock."""
    sigma = float(s["care.outpatient_sigma"])
    out = np.zeros((2, len(SCHEMES)))
    for status in range(len(SCHEMES)):
        scheme = SCHEME_POOL[status]
        b = f"benefits.{scheme}"
        c = f"care.outpatient.{scheme}"
        ratio = "retiree_ratio" if status == RETIRED else "ratio"
        mean, var = benefit_moments(
            float(s[f"{c}.spend"]) * inflation,
            sigma,
            float(s[f"{b}.outpatient.deductible"]),
            float(s[f"{b}.outpatient.{ratio}"]),
            float(s[f"{b}.outpatient.annual_cap"]),
        )
        n = max(members[status], 1.0)
        out[0, status] = yearly_total(n, mean, var, rng) / n
        prevalence = float(s[f"{c}.special_prevalence"])
        smean, svar = benefit_moments(
            float(s[f"{c}.special_spend"]) * inflation,
            sigma,
            0.0,
            float(s[f"{b}.special_outpatient.ratio"]),
            float(s[f"{b}.special_outpatient.annual_cap"]),
        )
        # per member: a patient with probability p; mean p·m, variance p·v + p(1−p)·m²
        pm, pv = (
            prevalence * smean,
            prevalence * svar + prevalence * (1 - prevalence) * smean**2,
        )
        out[1, status] = yearly_total(n, pm, pv, rng) / n
    return out
