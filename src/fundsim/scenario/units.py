"""Unit slips in a figures file: money in 万元 or 亿元, members in 万人, caught by magnitude.

fundsim takes yuan and persons; bureaus print 万元, 亿元 and 万人. A figure off by 10⁴ or 10⁸
from the members' scale is warned of at its line, naming the unit it looks written in and the
number to write instead: a fund's income or spending per member outside 1-100,000 yuan a
year, a balance per member outside 1-200,000 yuan, fewer than 1,000 insured, fewer than
0.5 admissions per 100 members a year, an average wage under 1,000 yuan. Warnings only: a
figure may be right and still odd (a fund nearly empty), and the planner decides.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..source.diagnostics import Collector
from .shapes import INSURED_SUMS, solve

if TYPE_CHECKING:
    from .figures import Read

# --- magnitudes ------------------------------------------------------------------------------

# ASSUMPTION, beyond any Chinese region: a fund's income or spending per member lies between
# 1 and 100,000 yuan a year (national 2025: UEBMI 6,353 / URRBMI 1,193 yuan of income per
# member, DOMAIN.md); a balance between 1 and 200,000 yuan per member (national UEBMI 2022:
# 35,004亿 for 36,243万 members, 9,658 yuan, data/national_uebmi_balances.csv); a region
# has at least 1,000 insured; admissions are at least 0.5 per 100 members a year (national
# 2022: 17.3 UEBMI and 16.3 URRBMI, data/nhsa_inpatient_series_2012_2022.csv).
PER_MEMBER = {"income": (1.0, 1e5), "expenditure": (1.0, 1e5), "balance": (1.0, 2e5)}
TYPICAL_PER_MEMBER = 3000.0  # the middle of the plausible range, to name the likely unit
MIN_INSURED = 1000
MIN_ADMISSIONS_PER_MEMBER = 0.005
MIN_WAGE = 1000  # yuan a year: an average wage below it is in 万元 (national 2010: 37,147)
MONEY_UNITS = ((1e4, "万元"), (1e8, "亿元"))
MEMBERS_OF = {  # whose members a fund's figure is spread over
    "uebmi": ("uebmi",),
    "uebmi_pool": ("uebmi",),
    "uebmi_personal": ("uebmi",),
    "urrbmi_pool": ("urrbmi",),
    "critical_illness": ("urrbmi",),
    "medical_assistance": ("uebmi", "urrbmi"),
    "total": ("uebmi", "urrbmi"),
}


def warn_unit(
    read: Read,
    problems: Collector,
    path: tuple[str | int, ...],
    what: str,
    value: float,
    factor: float,
    unit: str,
    base: str = "yuan",
) -> None:
    """A located warning: ``value`` looks written in ``unit`` (``factor`` of fundsim's)."""
    zh_base = {"yuan": "元", "persons": "人", "persons-times": "人次"}[base]
    fixed = value * factor
    written = f"{fixed:.0f}" if abs(fixed) < 1e16 else f"{fixed:.3e}"
    problems.warning(
        read.shown,
        read.line(*path),
        ".".join(str(p) for p in path),
        f"{what}: looks like {unit} (看起来是以{unit}为单位)",
        f"fundsim takes {base}: write {written} for {value:g}{unit} (fundsim 以{zh_base}为单位)",
    )


def check_magnitudes(read: Read, problems: Collector) -> None:
    """Warnings of a unit slip: insured in 万人, money in 万元 or 亿元, each at its line."""
    figures = read.figures
    insured = solve(
        {k: v for k, v in figures.insured.model_dump().items() if v is not None}, INSURED_SUMS
    ).values
    slips = False
    for key, value in figures.insured.model_dump().items():
        if value is not None and 0 < value < MIN_INSURED:
            slips = True
            warn_unit(
                read,
                problems,
                ("insured", key),
                f"{value:g} persons",
                value,
                1e4,
                "万人",
                "persons",
            )
    for year, funds in figures.history.items():
        for fund, indicators in funds.items():
            for indicator in ("insured", "insured_active", "insured_retired"):
                value = indicators.get(indicator)
                if value is not None and 0 < value < MIN_INSURED:
                    slips = True
                    warn_unit(
                        read,
                        problems,
                        ("history", year, fund, indicator),
                        f"{value:g} persons",
                        value,
                        1e4,
                        "万人",
                        "persons",
                    )
    if slips:  # the members are in doubt: per-member money would name the wrong unit
        return

    def members(fund: str, year: int) -> float:
        counts = {"uebmi": insured.get("uebmi", 0.0), "urrbmi": insured.get("urrbmi", 0.0)}
        funds = figures.history.get(year, {})
        got = funds.get("uebmi", {})
        if "insured" in got:
            counts["uebmi"] = got["insured"]
        elif "insured_active" in got and "insured_retired" in got:
            counts["uebmi"] = got["insured_active"] + got["insured_retired"]
        if "insured" in funds.get("urrbmi_pool", {}):
            counts["urrbmi"] = funds["urrbmi_pool"]["insured"]
        return sum(counts[s] for s in MEMBERS_OF[fund])

    y = figures.data_year
    for key, value in figures.balances.model_dump().items():
        if value is not None:
            _money(read, problems, ("balances", key), "balance", value, members(key, y), key)
    for year, funds in figures.history.items():
        for fund, indicators in funds.items():
            for indicator, value in indicators.items():
                path = ("history", year, fund, indicator)
                if indicator in PER_MEMBER:
                    _money(read, problems, path, indicator, value, members(fund, year), fund)
                elif indicator == "admissions" and members(fund, year) > 0:
                    rate = value / members(fund, year)
                    if 0 < rate < MIN_ADMISSIONS_PER_MEMBER:
                        warn_unit(
                            read,
                            problems,
                            path,
                            f"{value:g} admissions are {rate * 100:.3g} per 100 members a year",
                            value,
                            1e4,
                            "万人次",
                            "persons-times",
                        )


def _money(
    read: Read,
    problems: Collector,
    path: tuple[str | int, ...],
    indicator: str,
    value: float,
    members: float,
    fund: str,
) -> None:
    """Warn when ``value`` spread over ``members`` is out of every region's range."""
    if members <= 0 or value == 0:
        return
    low, high = PER_MEMBER[indicator]
    per = abs(value) / members
    a_year = "" if indicator == "balance" else " a year"
    shown = f"{value:,.0f}" if abs(value) >= 1 else f"{value:.3g}"
    schemes = " and ".join(s.upper() for s in MEMBERS_OF[fund])
    what = f"{shown} yuan is {per:,.3g} yuan per member{a_year} ({members:,.0f} {schemes} members)"
    if per < low:
        factor, unit = min(
            MONEY_UNITS, key=lambda u: abs(math.log10(per * u[0] / TYPICAL_PER_MEMBER))
        )
        warn_unit(read, problems, path, what, value, factor, unit)
    elif per > high:
        problems.warning(
            read.shown,
            read.line(*path),
            ".".join(str(p) for p in path),
            f"{what}: more than any region's {high:,.0f} (人均数额过大)",
            "are the insured given in 万人, or the money in 分? fundsim takes persons and yuan",
        )
