"""The figures file of ``fundsim init``: its schema, and every check said at its own lines.

A bureau's figures come in the shapes its bulletins and final accounts (决算) print them: the
UEBMI insured with or without the active/retired split, one UEBMI balance or the pool and the
personal accounts apart, totals of basic insurance (基本医疗保险合计) beside or instead of the
schemes. :func:`read_figures` reads the file strictly, refuses what cannot be (a history year
after the data year or this year, a negative count, a total smaller than its part, a stock it
cannot split), and warns, at the value's line, of a figure whose magnitude says it was written
in 万元, 亿元 or 万人 (fundsim takes yuan and persons). What the figures leave out is filled by
the rules of :mod:`.filling`; the optional rules every bureau knows (``local_policy:``) are read
by :mod:`.localpolicy`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError

from ..source.diagnostics import Collector, Diagnostic
from ..source.document import SourceDocument, read_yaml
from .regiondata import HISTORY_FUNDS, HISTORY_INDICATORS
from .schema import Strict, Text, Title

Persons = Annotated[float, Field(le=2e9, allow_inf_nan=False)]  # a negative count: said below
Money = Annotated[float, Field(ge=-1e14, le=1e14, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1990, le=2100)]
Fund = Literal[HISTORY_FUNDS]  # type: ignore[valid-type]
Indicator = Literal[HISTORY_INDICATORS]  # type: ignore[valid-type]


def _year_keys(value: Any) -> Any:
    """Years as keys: the strict reader keeps every key as text."""
    if isinstance(value, dict):
        return {int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in value.items()}
    return value


class Insured(Strict):
    """Members at the end of the data year, in any shape a bulletin prints them."""

    uebmi_active: Persons | None = None
    uebmi_retired: Persons | None = None
    uebmi: Persons | None = None  # the UEBMI total, without the split
    urrbmi: Persons | None = None
    total: Persons | None = None  # basic insurance together (基本医疗保险参保人数)


class Balances(Strict):
    """Fund balances at the end of the data year, in any shape a bulletin prints them."""

    uebmi_pool: Money | None = None
    uebmi_personal: Money | None = None
    uebmi: Money | None = None  # pool and personal accounts together (职工医保累计结存)
    urrbmi_pool: Money | None = None
    total: Money | None = None  # basic insurance together (基本医疗保险累计结存)


History = dict[Year, dict[Fund, dict[Indicator, Money]]]


class Figures(Strict):
    """The headline figures of a new region (yuan and persons)."""

    region: Title
    code: Text | None = None
    data_year: Year
    source: Text  # where the figures come from: cited on every value taken from them
    insured: Insured  # members at the end of data_year
    balances: Balances  # fund balances at the end of data_year
    history: Annotated[History, BeforeValidator(_year_keys), Field(default_factory=dict)]
    average_wage: (
        Annotated[dict[Year, Annotated[float, Field(gt=0, le=5e6)]], BeforeValidator(_year_keys)]
        | None
    ) = None
    horizon_years: Annotated[int, Field(ge=1, le=30)] = 10
    local_policy: dict[str, Any] | None = None  # the dozen rules a bureau knows (localpolicy.py)
    rules: dict[str, Any] | None = None  # parameters, as in a scenario's parameters:


# How the parts of a stock add up (the region's own identities): a whole = its parts.
INSURED_SUMS = (("uebmi", ("uebmi_active", "uebmi_retired")), ("total", ("uebmi", "urrbmi")))
BALANCE_SUMS = (("uebmi", ("uebmi_pool", "uebmi_personal")), ("total", ("uebmi", "urrbmi_pool")))
# the stocks a region is built from; the UEBMI whole is split by a national share when needed
INSURED_PARTS = ("uebmi_active", "uebmi_retired", "urrbmi")
BALANCE_PARTS = ("uebmi_pool", "uebmi_personal", "urrbmi_pool")
NAMES = {  # (zh, en) of the figures' keys, for messages
    "uebmi_active": ("在职职工", "UEBMI active"),
    "uebmi_retired": ("退休职工", "UEBMI retired"),
    "uebmi": ("职工医保", "UEBMI"),
    "urrbmi": ("居民医保", "URRBMI"),
    "urrbmi_pool": ("居民医保", "URRBMI"),
    "uebmi_pool": ("职工医保统筹基金", "UEBMI pool"),
    "uebmi_personal": ("职工医保个人账户", "UEBMI personal accounts"),
    "total": ("基本医疗保险合计", "basic insurance total"),
}
# two printed figures whose sum and printed whole differ by less than this agree (bulletins
# round each figure to 万人 or to 0.01亿元 apart)
SUM_TOLERANCE = 0.005


@dataclass
class Solved:
    """A stock's parts from the figures by the region's own identities (before any national
    share): ``values`` every key known, ``derived`` how each key not written was found."""

    values: dict[str, float]
    derived: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def solve(given: dict[str, float], sums: tuple[tuple[str, tuple[str, ...]], ...]) -> Solved:
    """Every part and whole ``given`` implies by ``whole = a + b`` (e.g. URRBMI = total − UEBMI,
    UEBMI = active + retired); ``derived[key] = (whole, (minuend, subtrahend...))`` or
    ``(sum, parts)``."""
    values = dict(given)
    derived: dict[str, tuple[str, tuple[str, ...]]] = {}
    changed = True
    while changed:
        changed = False
        for whole, parts in sums:
            known = [p for p in parts if p in values]
            if whole not in values and len(known) == len(parts):
                values[whole] = sum(values[p] for p in parts)
                derived[whole] = ("sum", parts)
                changed = True
            elif whole in values and len(known) == len(parts) - 1:
                (missing,) = [p for p in parts if p not in values]
                values[missing] = values[whole] - sum(values[p] for p in known)
                derived[missing] = ("difference", (whole, *known))
                changed = True
    return Solved(values, derived)


@dataclass
class Read:
    """The figures file, read and checked: the figures, their source document (for lines) and
    the warnings said at their lines."""

    figures: Figures
    source: SourceDocument
    shown: str
    warnings: list[Diagnostic]
    policy: dict[str, Any] = field(default_factory=dict)  # local_policy, read (localpolicy.py)

    def line(self, *path: str | int) -> int:
        return self.source.line_of(tuple(str(p) if isinstance(p, int) else p for p in path))


def read_figures(path: Path, today: dt.date | None = None) -> Read:
    """The figures file, checked (ScenarioError with file and line when it is not right)."""
    from .localpolicy import check_local_policy

    problems = Collector()
    shown = str(path)
    source = read_yaml(path, problems, display=shown)
    problems.raise_if_errors()
    assert source is not None
    try:
        figures = Figures.model_validate(source.data)
    except ValidationError as error:
        for e in error.errors(include_url=False):
            loc = tuple(e["loc"])
            where = ".".join(str(k) for k in loc if k != "[key]")
            # the source's keys are text (years too); a bad key is found at its own line
            in_file = tuple(str(k) if isinstance(k, int) else k for k in loc if k != "[key]")
            line = source.line_of(in_file)
            problems.error(shown, line, where, e["msg"], _hint(loc, e.get("input")))
        problems.raise_if_errors()
        raise AssertionError("unreachable") from error
    read = Read(figures, source, shown, [])
    _check_history(read, problems, today or dt.date.today())
    _check_stocks(read, problems)
    _check_wages(read, problems)
    check_local_policy(read, problems)
    if not problems.has_errors:
        _check_magnitudes(read, problems)
    problems.raise_if_errors()
    read.warnings = [d for d in problems.items if d.severity == "warning"]
    return read


def _check_history(read: Read, problems: Collector, today: dt.date) -> None:
    """What history.csv would refuse, said at the figures' own lines: a year not yet ended, a
    year after the data year (issue 28), a negative figure other than a balance, a total
    smaller than its part."""
    figures = read.figures
    for year, funds in figures.history.items():
        if year > today.year:
            problems.error(
                read.shown,
                read.line("history", year),
                f"history.{year}",
                f"{year} is after this year ({today.year}): history holds figures observed "
                f"(历史数据的年份不能晚于今年)",
                "correct the year, or leave it out until its figures are published",
            )
        elif year > figures.data_year:
            problems.error(
                read.shown,
                read.line("history", year),
                f"history.{year}",
                f"{year} is after the data year {figures.data_year}: the data year's insured "
                f"and balances are where the region starts, and later figures belong to a later "
                f"data year (历史数据的年份不能晚于数据年份{figures.data_year})",
                f"set data_year: {year} with the insured and balances of the end of {year}, or "
                f"leave {year} out",
            )
        for fund, indicators in funds.items():
            for indicator, value in indicators.items():
                if indicator != "balance" and value < 0:
                    problems.error(
                        read.shown,
                        read.line("history", year, fund, indicator),
                        f"history.{year}.{fund}.{indicator}",
                        f"{indicator} of {value:g} is negative (不能为负数)",
                        "only a year-end balance may be negative",
                    )
        for indicator in ("income", "expenditure", "insured"):
            _check_parts(read, problems, year, funds, indicator)


def _check_parts(
    read: Read, problems: Collector, year: int, funds: dict[str, dict[str, float]], indicator: str
) -> None:
    """A year's total is at least each scheme's, and equals their sum when all are given."""
    total = funds.get("total", {}).get(indicator)
    if total is None:
        return
    parts = {
        f: funds[f][indicator] for f in ("uebmi", "urrbmi_pool") if indicator in funds.get(f, {})
    }
    where = f"history.{year}.total.{indicator}"
    line = read.line("history", year, "total", indicator)
    for fund, value in parts.items():
        if value > total:
            problems.error(
                read.shown,
                line,
                where,
                f"the total {total:,.0f} is less than {fund}'s {value:,.0f} "
                f"(合计小于其中{NAMES[fund][0]}的数值)",
                "the total is basic insurance together, UEBMI and URRBMI: check the figures' units "
                "and years",
            )
    if len(parts) == 2 and not _agree(total, sum(parts.values())):
        problems.warning(
            read.shown,
            line,
            where,
            f"the total {total:,.0f} is not uebmi + urrbmi_pool = {sum(parts.values()):,.0f} "
            f"(合计不等于职工医保与居民医保之和)",
            "the total's scope may hold more (e.g. maternity insurance): every figure is kept "
            "and fitted as given",
        )


def _agree(whole: float, parts: float) -> bool:
    return abs(whole - parts) <= SUM_TOLERANCE * max(abs(whole), abs(parts), 1.0)


def _check_stocks(read: Read, problems: Collector) -> None:
    """The data year's insured and balances: no negative count, each whole at least its parts
    and agreeing with them, and enough given to find every stock the region is built from."""
    figures = read.figures
    insured = {k: v for k, v in figures.insured.model_dump().items() if v is not None}
    balances = {k: v for k, v in figures.balances.model_dump().items() if v is not None}
    for key, value in insured.items():
        if value < 0:
            problems.error(
                read.shown,
                read.line("insured", key),
                f"insured.{key}",
                f"{value:g} persons is negative (参保人数不能为负数)",
                "insured are the members at the end of the data year, a count of persons",
            )
    if any(v < 0 for v in insured.values()):
        return
    for section, given, sums in (
        ("insured", insured, INSURED_SUMS),
        ("balances", balances, BALANCE_SUMS),
    ):
        solved = solve(given, sums)
        for whole, members in sums:
            if whole in given and all(p in given for p in members):
                total = sum(given[p] for p in members)
                if not _agree(given[whole], total):
                    problems.error(
                        read.shown,
                        read.line(section, whole),
                        f"{section}.{whole}",
                        f"{given[whole]:,.0f} is not {' + '.join(members)} = {total:,.0f} "
                        f"({NAMES[whole][0]}不等于各部分之和)",
                        f"give the whole or its parts, or correct one of them ({section}."
                        f"{', '.join(members)} on lines "
                        f"{', '.join(str(read.line(section, p)) for p in members)})",
                    )
        for key, (how, terms) in solved.derived.items():
            if how == "difference" and section == "insured" and solved.values[key] < 0:
                problems.error(
                    read.shown,
                    read.line(section, terms[0]),
                    f"{section}.{terms[0]}",
                    f"{given[terms[0]]:,.0f} is less than {' + '.join(terms[1:])} "
                    f"= {sum(given[t] for t in terms[1:]):,.0f}: {key} would be negative "
                    f"(合计小于其中部分之和)",
                    "check the figures' units and years",
                )
        if section == "insured":
            missing = _missing_insured(solved.values)
        else:
            missing = _missing_balances(solved.values)
        if missing:
            zh, en = missing
            problems.error(
                read.shown,
                read.line(section),
                section,
                f"{en} ({zh})",
                _SHAPES[section],
            )


_SHAPES = {
    "insured": "insured in any of these shapes: {uebmi_active: A, uebmi_retired: R, urrbmi: U}, "
    "{uebmi: E, urrbmi: U} (split by the national active:retired ratio), {total: T, urrbmi: U} "
    "or {total: T, uebmi: E}",
    "balances": "balances in any of these shapes: {uebmi_pool: P, uebmi_personal: A, "
    "urrbmi_pool: U}, {uebmi: E, urrbmi_pool: U} (split by the national pool share), "
    "{total: T, urrbmi_pool: U} or {total: T, uebmi: E}",
}


def _missing_insured(values: dict[str, float]) -> tuple[str, str] | None:
    if "urrbmi" not in values:
        return (
            "缺少居民医保参保人数：请填写 urrbmi，或同时填写合计 total 和职工医保 uebmi",
            "the URRBMI insured are missing: add urrbmi, or the total together with uebmi",
        )
    if "uebmi" in values or ("uebmi_active" in values and "uebmi_retired" in values):
        return None
    if "uebmi_active" in values or "uebmi_retired" in values:
        return (
            "只有在职或退休职工之一：请补填另一项，或改填职工医保合计 uebmi",
            "only one of uebmi_active and uebmi_retired: add the other, or give the UEBMI "
            "total as uebmi",
        )
    return (
        "缺少职工医保参保人数：请填写 uebmi（或在职 uebmi_active 和退休 uebmi_retired），或合计 total",
        "the UEBMI insured are missing: add uebmi (or uebmi_active and uebmi_retired), or the "
        "total",
    )


def _missing_balances(values: dict[str, float]) -> tuple[str, str] | None:
    if "urrbmi_pool" not in values:
        return (
            "缺少居民医保累计结余：请填写 urrbmi_pool，或同时填写合计 total 和职工医保 uebmi",
            "the URRBMI balance is missing: add urrbmi_pool, or the total together with uebmi",
        )
    if "uebmi" in values or ("uebmi_pool" in values and "uebmi_personal" in values):
        return None
    if "uebmi_pool" in values or "uebmi_personal" in values:
        return (
            "职工医保统筹基金和个人账户只填了一项：请补填另一项，或改填职工医保结余合计 uebmi",
            "only one of uebmi_pool and uebmi_personal: add the other, or give the UEBMI "
            "balance whole as uebmi",
        )
    return (
        "缺少职工医保累计结余：请填写 uebmi（或统筹 uebmi_pool 和个人账户 uebmi_personal），或合计 total",
        "the UEBMI balance is missing: add uebmi (or uebmi_pool and uebmi_personal), or the total",
    )


def _check_wages(read: Read, problems: Collector) -> None:
    """A local wage of a year after the data year is a later observation: refused as history's."""
    from .filling import WAGE_FILE, national_wages

    figures = read.figures
    if not figures.average_wage and figures.data_year < min(national_wages()):
        problems.error(
            read.shown,
            read.line("data_year"),
            "data_year",
            f"the national average wage ({WAGE_FILE}) starts in {min(national_wages())}, after "
            f"the data year {figures.data_year} (全国社平工资数据始于{min(national_wages())}年)",
            f"give the local average_wage of {figures.data_year} and the years before",
        )
    for year, wage in (figures.average_wage or {}).items():
        line = read.line("average_wage", year)
        if year > figures.data_year:
            problems.error(
                read.shown,
                line,
                f"average_wage.{year}",
                f"{year} is after the data year {figures.data_year}: a forecast from the end of "
                f"{figures.data_year} does not know it (工资年份不能晚于数据年份)",
                "leave it out: later years grow by economy.wage_growth",
            )
        elif wage < 1000:
            warn_unit(
                read,
                problems,
                ("average_wage", year),
                f"an average wage of {wage:g} yuan a year",
                wage,
                10_000,
                "万元",
            )


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


def _check_magnitudes(read: Read, problems: Collector) -> None:
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


def _hint(loc: tuple[Any, ...], given: Any = None) -> str:
    if (
        isinstance(given, str)
        and given.replace(".", "", 1).replace("e", "", 1).replace("-", "").isdigit()
    ):
        return f"YAML reads {given} as text: write the number whole (2500000000) or as 2.5e+9"
    if loc and loc[0] == "history":
        return (
            f"history: {{YEAR: {{FUND: {{INDICATOR: VALUE}}}}}}; funds {', '.join(HISTORY_FUNDS)}; "
            f"indicators {', '.join(HISTORY_INDICATORS)}"
        )
    if loc and loc[0] in _SHAPES:
        return _SHAPES[str(loc[0])]
    return "see the example in docs/zh/ (or README, A new region)"
