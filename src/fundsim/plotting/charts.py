"""The standard charts. Each takes a results Dataset and an optional Axes and returns the Axes.

======================  =======================================================================
kind                    function
======================  =======================================================================
``fan``                 :func:`fan`: balance bands, median, zero line, P(depleted) by the end
``income-expenditure``  :func:`income_expenditure`: yearly income vs expenditure (当期收支)
``reserve``             :func:`reserve`: reserve months (可支付月数) with the official zones
``depletion``           :func:`depletion`: P(depleted by year) per fund, depletion percentiles
``compare``             :func:`compare` (scenarios' medians and bands) and :func:`difference`
                        (paired differences from the baseline)
``waterfall``           :func:`waterfall`: each lever's contribution along a chain of scenarios
``cashflow``            :func:`cashflow`: monthly cash balance, fourth-quarter premiums
``warnings``            :func:`warnings`: the probability of each early-warning level by year
======================  =======================================================================

Titles and axis labels come from the variables' attrs (``long_name``/``long_name_zh``,
``units``) and :mod:`fundsim.plotting.text`. Bands are over runs: 5–95% and 25–75%.
"""

from __future__ import annotations

from .common import QUANTILES, RESERVE_ZONES, ReserveZones, year_ranges
from .funds import cashflow, depletion, fan, income_expenditure, reserve, warnings
from .scenarios import compare, difference, lever_chain, waterfall

KINDS = (
    "fan",
    "income-expenditure",
    "reserve",
    "depletion",
    "compare",
    "waterfall",
    "cashflow",
    "warnings",
)
CITY_KINDS = ("draws",)  # of a city's results (every area at once): plotting.city

__all__ = [
    "CITY_KINDS",
    "KINDS",
    "QUANTILES",
    "RESERVE_ZONES",
    "ReserveZones",
    "cashflow",
    "compare",
    "depletion",
    "difference",
    "fan",
    "income_expenditure",
    "lever_chain",
    "reserve",
    "warnings",
    "waterfall",
    "year_ranges",
]
