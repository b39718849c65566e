"""A region's history beside the model's results: which figure of a run each history row is.

History rows (``history.csv``: year, fund, indicator, value, source) name funds as bulletins
report them. ``uebmi`` is the pooled fund and the personal accounts together, without the
money the pool credits to retirees' accounts (a transfer inside the fund); ``total`` is basic
insurance, ``uebmi`` and ``urrbmi_pool`` together (the critical-illness premium the URRBMI
fund pays is its spending, and the surplus the insurer returns under the contract its income,
as the fund's accounts book them). Insured counts are members at year end; ``insured_active`` and
``insured_retired`` belong to ``uebmi`` (or ``uebmi_pool``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ..codes import ACCOUNTS
from ..scenario.regiondata import Table

MONEY = ("income", "expenditure", "balance")
INTERNAL = {"income": "retiree_credit_in", "expenditure": "retiree_credit_out"}
SCHEMES_OF = {
    "uebmi": ("uebmi_active", "uebmi_retired"),
    "uebmi_pool": ("uebmi_active", "uebmi_retired"),
    "uebmi_personal": ("uebmi_active", "uebmi_retired"),
    "urrbmi_pool": ("urrbmi",),
    "critical_illness": ("urrbmi",),
    "total": ("uebmi_active", "uebmi_retired", "urrbmi"),
}
LABELS = {  # (zh, en) of funds and indicators, for tables and charts
    "uebmi": ("职工医保基金", "UEBMI fund"),
    "uebmi_pool": ("职工医保统筹基金", "UEBMI pooled fund"),
    "uebmi_personal": ("职工医保个人账户", "UEBMI personal accounts"),
    "urrbmi_pool": ("居民医保基金", "URRBMI fund"),
    "critical_illness": ("居民大病保险", "critical-illness insurance"),
    "medical_assistance": ("医疗救助", "medical assistance"),
    "total": ("基本医疗保险基金", "basic medical insurance"),
    "income": ("收入", "income"),
    "expenditure": ("支出", "expenditure"),
    "balance": ("累计结余", "balance"),
    "insured": ("参保人数", "insured"),
    "insured_active": ("在职参保人数", "active members"),
    "insured_retired": ("退休参保人数", "retired members"),
    "admissions": ("住院人次", "admissions"),
}


@dataclass(frozen=True)
class Point:
    """One history row: an observed figure and where it was written."""

    year: int
    fund: str
    indicator: str
    value: float
    source: str
    line: int

    @property
    def series(self) -> tuple[str, str]:
        return (self.fund, self.indicator)


def points(table: Table) -> list[Point]:
    """Every row of a history table."""
    return [
        Point(int(r["year"]), r["fund"], r["indicator"], float(r["value"]), r["source"], line)
        for line, r in zip(table.lines, table.rows(), strict=True)
    ]


def observable(fund: str, indicator: str) -> str | None:
    """Why a run cannot give this series (None when it can)."""
    if indicator in MONEY:
        return None
    if fund == "medical_assistance":
        return "fundsim does not count medical assistance's members or admissions"
    if indicator in ("insured_active", "insured_retired") and fund not in ("uebmi", "uebmi_pool"):
        return f"{indicator} belongs to the employees' fund (uebmi)"
    return None


def series(ds: xr.Dataset, fund: str, indicator: str) -> xr.DataArray:
    """A series of a results Dataset as a history row counts it, by run and year (one
    scenario)."""
    if indicator in MONEY:
        variable = ds[indicator]
        accounts = {"uebmi": ACCOUNTS[:2], "total": ACCOUNTS[:3]}.get(fund, (fund,))
        value = variable.sel(fund=list(accounts)).sum("fund")
        if indicator in INTERNAL and fund in ("uebmi", "total"):
            flow = ds["by_flow"].sel(flow=INTERNAL[indicator])
            value = value - flow.sel(fund=list(accounts)).sum("fund")
    elif indicator == "insured_active":
        value = ds["insured"].sel(scheme="uebmi_active")
    elif indicator == "insured_retired":
        value = ds["insured"].sel(scheme="uebmi_retired")
    else:
        name = "insured" if indicator == "insured" else "admissions"
        value = ds[name].sel(scheme=list(SCHEMES_OF[fund])).sum("scheme")
    return value.isel(scenario=0)


def matrix(ds: xr.Dataset, chosen: Sequence[Point]) -> NDArray[np.float64]:
    """Each run's value of each point: an array (run, point); NaN where the run has no
    such year."""
    years = set(ds.year.values.tolist())
    out = np.full((ds.sizes["run"], len(chosen)), np.nan)
    cache: dict[tuple[str, str], xr.DataArray] = {}
    for k, p in enumerate(chosen):
        if p.year not in years:
            continue
        if p.series not in cache:
            cache[p.series] = series(ds, p.fund, p.indicator)
        out[:, k] = cache[p.series].sel(year=p.year).values
    return out


def label(fund: str, indicator: str, lang: str) -> str:
    i = 0 if lang == "zh" else 1
    return f"{LABELS[fund][i]}{'' if lang == 'zh' else ' '}{LABELS[indicator][i]}"
