"""The figures file of ``fundsim init``: its schema, and every check said at its own lines.

A bureau's figures come in the shapes its bulletins and final accounts (决算) print them (the
stocks: :mod:`.shapes`). :func:`read_figures` reads the file strictly, refuses what cannot be
(a history year after the data year or this year, a negative figure, a total smaller than its
part, a stock it cannot split), and warns, at the value's line, of a figure whose magnitude
says it was written in 万元, 亿元 or 万人 (:mod:`.units`). What the figures leave out is filled by
the rules of :mod:`.filling`; the optional rules every bureau knows (``local_policy:``) are read
by :mod:`.localpolicy`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError

from ..source.diagnostics import Collector, Diagnostic
from ..source.document import SourceDocument, read_yaml
from .regiondata import HISTORY_FUNDS, HISTORY_INDICATORS, HISTORY_WHAT
from .schema import Strict, Text, Title
from .shapes import NAMES, SHAPES, agree, check_stocks
from .units import MIN_WAGE, check_magnitudes, warn_unit

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
        Annotated[
            dict[Year, Annotated[float, Field(gt=0, le=5e6, allow_inf_nan=False)]],
            BeforeValidator(_year_keys),
        ]
        | None
    ) = None
    horizon_years: Annotated[int, Field(ge=1, le=30)] = 10
    local_policy: dict[str, Any] | None = None  # the dozen rules a bureau knows (localpolicy.py)
    rules: dict[str, Any] | None = None  # parameters, as in a scenario's parameters:


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
    check_stocks(read, problems)
    _check_wages(read, problems)
    check_local_policy(read, problems)
    if not problems.has_errors:
        check_magnitudes(read, problems)
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
                elif indicator != "balance" and value == 0:
                    problems.error(
                        read.shown,
                        read.line("history", year, fund, indicator),
                        f"history.{year}.{fund}.{indicator}",
                        f"{indicator} of 0: a fund with members has "
                        f"{HISTORY_WHAT[indicator]} (历史数据不能为0)",
                        "give the figure reported, or leave it out when it is not known; only "
                        "a year-end balance may be 0",
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
    if len(parts) == 2 and not agree(total, sum(parts.values())):
        problems.warning(
            read.shown,
            line,
            where,
            f"the total {total:,.0f} is not uebmi + urrbmi_pool = {sum(parts.values()):,.0f} "
            f"(合计不等于职工医保与居民医保之和)",
            "the total's scope may hold more (e.g. maternity insurance): every figure is kept "
            "and fitted as given",
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
        elif wage < MIN_WAGE:
            warn_unit(
                read,
                problems,
                ("average_wage", year),
                f"an average wage of {wage:g} yuan a year",
                wage,
                10_000,
                "万元",
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
    if loc and loc[0] in SHAPES:
        return SHAPES[str(loc[0])]
    return "see the example in docs/zh/ (or README, A new region)"
