"""Early warnings (基金运行风险预警) of each fund in each year of a run.

Three indicators, each against the region's thresholds (``reporting.warning.*``): the reserve
in months of expenditure (累计结余可支付月数, below a threshold), the year's balance over its
income (当期结余率, below), and spending growth less income growth (收支增长率差, above). A
fund's level in a year is the worst any indicator reaches (``codes.WARNINGS``: none, yellow,
orange, red, coded 0-3); a batch's probability of a level is the share of its runs at it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import WARNINGS

INDICATORS = ("reserve_months", "balance_rate", "growth_gap")
RISING = {"reserve_months": False, "balance_rate": False, "growth_gap": True}  # worse upwards?
LEVELS = WARNINGS[1:]  # the warning levels, mildest first


def threshold_paths() -> list[str]:
    return [f"reporting.warning.{i}.{level}" for i in INDICATORS for level in LEVELS]


def thresholds(at: Callable[[Any], Any], years: Sequence[int]) -> NDArray[np.float64]:
    """Each year's thresholds (year, indicator, level), read at the year's end from ``at``
    (a date -> snapshot function such as ``tree.at``)."""
    import datetime as dt

    out = np.empty((len(years), len(INDICATORS), len(LEVELS)))
    for y, year in enumerate(years):
        s = at(dt.date(int(year), 12, 31))
        for i, indicator in enumerate(INDICATORS):
            for k, level in enumerate(LEVELS):
                out[y, i, k] = float(s[f"reporting.warning.{indicator}.{level}"])
    return out


GAP_YEARS = 3  # the growth gap is averaged over this many years: one year's is noisy


def indicators(
    income: NDArray[np.float64], expenditure: NDArray[np.float64], reserve: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The indicators (year, fund, indicator) of yearly income, expenditure and reserve months
    (year, fund); NaN where undefined (no income, no expenditure, the first year's growth).

    The growth gap is spending growth less income growth averaged over the last
    ``GAP_YEARS`` years (as many as there are): a single year's moves with the settlement
    calendar and the year's shock, and would raise a red warning for a fund with years of
    reserve."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(income > 0, (income - expenditure) / income, np.nan)
        spend = np.full_like(expenditure, np.nan)
        earn = np.full_like(income, np.nan)
        spend[1:] = np.where(expenditure[:-1] > 0, expenditure[1:] / expenditure[:-1] - 1, np.nan)
        earn[1:] = np.where(income[:-1] > 0, income[1:] / income[:-1] - 1, np.nan)
    yearly = spend - earn
    gap = np.full_like(yearly, np.nan)
    for y in range(1, len(yearly)):
        window = yearly[max(1, y - GAP_YEARS + 1) : y + 1]
        counted = np.sum(~np.isnan(window), axis=0)
        total = np.nansum(window, axis=0)
        gap[y] = np.where(counted > 0, total / np.maximum(counted, 1), np.nan)
    return np.stack([reserve, rate, gap], axis=-1)


def levels(
    values: NDArray[np.float64], limits: NDArray[np.float64], pooled: NDArray[np.bool_]
) -> NDArray[np.int8]:
    """Each fund's level in each year (year, fund): the worst of its indicators ``values``
    (year, fund, indicator) against ``limits`` (year, indicator, level); 0 for the accounts
    that are not pooled funds (``pooled`` false: personal accounts, the critical-illness
    contract, assistance's budget and the city's reserves hold no reserve of their own to
    warn about)."""
    out = np.zeros(values.shape[:2], dtype=np.int8)
    for i, indicator in enumerate(INDICATORS):
        x = values[:, :, i]
        for k in range(len(LEVELS)):
            limit = limits[:, i, k][:, None]
            with np.errstate(invalid="ignore"):
                hit = x > limit if RISING[indicator] else x < limit
            out = np.where(hit & ~np.isnan(x), np.maximum(out, k + 1), out).astype(np.int8)
    return np.where(pooled[None, :], out, 0).astype(np.int8)


def probabilities(level: Any) -> Any:
    """The probability of each warning level (new dim ``level``: WARNINGS) by year: the share
    of runs at it, counted over the ``run`` dimension of ``level`` (the results'
    ``warning_level``)."""
    import xarray as xr

    shares = [(level == code).mean("run") for code in range(len(WARNINGS))]
    p = xr.concat(shares, dim="level").assign_coords(level=list(WARNINGS))
    p.attrs = {
        "units": "1",
        "long_name": "probability of each warning level",
        "long_name_zh": "各预警等级的概率",
    }
    return p


def first_year_above(
    p_red: NDArray[np.float64], years: Sequence[int], threshold: float
) -> int | None:
    """The first year whose probability of a red warning exceeds ``threshold`` (None: none)."""
    above = np.flatnonzero(np.asarray(p_red) > threshold)
    return int(years[above[0]]) if len(above) else None
