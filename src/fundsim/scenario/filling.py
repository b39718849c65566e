"""What ``fundsim init`` fills in where the figures give a whole and the region needs its parts.

Each rule is stated once here, with the national data it rests on (``data/``, copied into
``fundsim/templates/``, each row with its source):

- the UEBMI insured given as one total: split into active and retired members by the national
  active:retired ratio of the data year (``national_uebmi_active_retired.csv``);
- the UEBMI balance given whole: split into the pool and the personal accounts by the national
  pool share of the data year, or of the last year before it that has one (the quick reports
  print both balances for 2019-2022; ``national_uebmi_balances.csv``);
- a total of basic insurance beside one scheme's figure: the other scheme is the difference
  (the region's own figures; the total taken as UEBMI and URRBMI together);
- the average wage when the figures give no local one: the national wage of urban non-private
  units of the years up to the data year, never a later year's (``national_average_wage.csv``).

Every value filled is an :class:`Assumption`: printed by ``init``, written with a source that
says ``ASSUMPTION: <rule> (<data>, <year>)`` and listed in ``init.md``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from .figures import Figures
from .shapes import (
    BALANCE_PARTS,
    BALANCE_SUMS,
    INSURED_PARTS,
    INSURED_SUMS,
    NAMES,
    Solved,
    solve,
)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
RATIO_FILE = "data/national_uebmi_active_retired.csv"
SHARE_FILE = "data/national_uebmi_balances.csv"
WAGE_FILE = "data/national_average_wage.csv"
EPIDEMIC_FILE = "data/national_epidemic_utilisation.csv"


@dataclass(frozen=True)
class Assumption:
    """A value the figures did not give, filled by a stated rule.

    what : where it is written in the region (``insured.uebmi_active``, ``history.2022...``)
    value : the value filled [yuan or persons]
    rule, rule_zh : the rule with its numbers, in English and Chinese
    data : the data the rule rests on and its year (``data/…csv, 2023`` or the figures file)
    written : the region's file that holds it
    """

    what: str
    value: float | str
    rule: str
    rule_zh: str
    data: str
    written: str

    @property
    def source(self) -> str:
        return f"ASSUMPTION: {self.rule} ({self.data})"

    @property
    def shown(self) -> str:
        return self.value if isinstance(self.value, str) else f"{self.value:,.0f}"


# --- the national series --------------------------------------------------------------------


def _table(name: str) -> list[dict[str, str]]:
    """A national series shipped with fundsim (its comment lines left out)."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


@cache
def national_ratios() -> dict[int, float]:
    """The national UEBMI active:retired ratio by year."""
    return {int(r["year"]): float(r["active_to_retired"]) for r in _table(Path(RATIO_FILE).name)}


@cache
def national_pool_shares() -> dict[int, float]:
    """The national UEBMI pool's share of the UEBMI balance, by the years that print both."""
    return {int(r["year"]): float(r["pool_share"]) for r in _table(Path(SHARE_FILE).name)}


@cache
def national_wages() -> dict[int, float]:
    """The national average wage of urban non-private units by year [yuan]."""
    return {int(r["year"]): float(r["average_wage"]) for r in _table(Path(WAGE_FILE).name)}


def national_epidemic() -> dict[int, tuple[float, bool]]:
    """The nation's epidemic years: each year's admissions factor and whether the control
    measures were still in force at its end."""
    return {
        int(r["year"]): (float(r["factor"]), r["measures_at_year_end"].strip() == "yes")
        for r in _table(Path(EPIDEMIC_FILE).name)
    }


def known_at(series: dict[int, float], year: int) -> tuple[int, str]:
    """The year of ``series`` that stands for ``year``: itself, else the last before it (a
    later year is never used), else the first there is; and how to say so."""
    if year in series:
        return year, ""
    earlier = [y for y in series if y < year]
    if earlier:
        return max(earlier), f"the last year known before {year}"
    first = min(series)
    return first, f"the first year known, no year up to {year} in the series"


# --- the stocks of the data year ------------------------------------------------------------


@dataclass
class Stocks:
    """The insured and balances the region is built from, and how each was found."""

    insured: dict[str, float]  # uebmi_active, uebmi_retired, urrbmi [persons]
    balances: dict[str, float]  # uebmi_pool, uebmi_personal, urrbmi_pool [yuan]
    filled: list[Assumption]
    insured_given: dict[str, float]  # the counts as the figures print them (and derived)
    balances_given: dict[str, float]

    def assumed(self, prefix: str) -> dict[str, Assumption]:
        """The assumptions about ``prefix`` (``insured`` or ``balances``) by key."""
        return {a.what.split(".", 1)[1]: a for a in self.filled if a.what.startswith(prefix + ".")}


def fill_stocks(figures: Figures, shown: str) -> Stocks:
    """The data year's stocks by scheme, the missing parts filled by the rules above (the
    figures are checked first: :func:`~fundsim.scenario.figures.read_figures`)."""
    y = figures.data_year
    name = Path(shown).name
    filled: list[Assumption] = []
    insured_given = {k: v for k, v in figures.insured.model_dump().items() if v is not None}
    balances_given = {k: v for k, v in figures.balances.model_dump().items() if v is not None}
    people = solve(insured_given, INSURED_SUMS)
    money = solve(balances_given, BALANCE_SUMS)
    for section, solved, given in (
        ("insured", people, insured_given),
        ("balances", money, balances_given),
    ):
        for key, (how, terms) in solved.derived.items():
            if how == "difference" and key not in given:
                rule = (
                    f"{section}.{terms[0]} {given[terms[0]]:,.0f} - "
                    + " - ".join(f"{t} {solved.values[t]:,.0f}" for t in terms[1:])
                    + f" ({NAMES[terms[0]][1]} taken as "
                    + " + ".join(NAMES[p][1] for p in _parts_of(terms[0], section))
                    + ")"
                )
                zh = f"{NAMES[terms[0]][0]}{given[terms[0]]:,.0f}减去" + "、".join(
                    f"{NAMES[t][0]}{solved.values[t]:,.0f}" for t in terms[1:]
                )
                filled.append(
                    Assumption(f"{section}.{key}", solved.values[key], rule, zh, f"{name}, {y}", "")
                )
    insured = {k: people.values[k] for k in INSURED_PARTS if k in people.values}
    if "uebmi_active" not in insured:
        whole = people.values["uebmi"]
        of = _whence(people, "insured")
        ratio_year, why = known_at(national_ratios(), y)
        ratio = national_ratios()[ratio_year]
        insured["uebmi_active"] = whole * ratio / (1 + ratio)
        insured["uebmi_retired"] = whole - insured["uebmi_active"]
        year_said = f"{ratio_year}" + (f", {why}" if why else "")
        for key in ("uebmi_active", "uebmi_retired"):
            filled.append(
                Assumption(
                    f"insured.{key}",
                    insured[key],
                    f"the UEBMI insured {whole:,.0f}{of} split by the national active:retired ratio "
                    f"of {year_said}, {ratio:.2f}",
                    f"职工医保参保人数{whole:,.0f}按{ratio_year}年全国在职退休比{ratio:.2f}拆分",
                    f"{RATIO_FILE}, {ratio_year}",
                    "calibration/population.csv",
                )
            )
    balances = {k: money.values[k] for k in BALANCE_PARTS if k in money.values}
    if "uebmi_pool" not in balances:
        whole = money.values["uebmi"]
        of = _whence(money, "balances")
        share_year, why = known_at(national_pool_shares(), y)
        share = national_pool_shares()[share_year]
        balances["uebmi_pool"] = whole * share
        balances["uebmi_personal"] = whole - balances["uebmi_pool"]
        year_said = f"{share_year}" + (f", {why}" if why else "")
        for key in ("uebmi_pool", "uebmi_personal"):
            filled.append(
                Assumption(
                    f"balances.{key}",
                    balances[key],
                    f"the UEBMI balance {whole:,.0f}{of} split by the national pool share of "
                    f"{year_said}, {share:.1%}",
                    f"职工医保累计结余{whole:,.0f}按{share_year}年全国统筹基金占比{share:.1%}拆分",
                    f"{SHARE_FILE}, {share_year}",
                    "scenarios/baseline.yaml",
                )
            )
    written = {  # a whole found by difference: the UEBMI one is split in turn, as said below
        "insured.uebmi": "calibration/history.csv (split below for population.csv)",
        "insured.urrbmi": "calibration/population.csv, calibration/history.csv",
        "balances.uebmi": "scenarios/baseline.yaml, split as below",
    }
    filled = [
        a
        if a.written
        else replace(
            a,
            written=written.get(
                a.what,
                "calibration/population.csv"
                if a.what.startswith("insured")
                else "scenarios/baseline.yaml",
            ),
        )
        for a in filled
    ]
    return Stocks(insured, balances, filled, people.values, money.values)


def _whence(solved: Solved, section: str) -> str:
    """How the UEBMI whole was found, when the figures do not print it."""
    if "uebmi" not in solved.derived or solved.derived["uebmi"][0] != "difference":
        return ""
    terms = solved.derived["uebmi"][1]
    return f" ({section}.{terms[0]} - {' - '.join(terms[1:])})"


def _parts_of(whole: str, section: str) -> tuple[str, ...]:
    sums = INSURED_SUMS if section == "insured" else BALANCE_SUMS
    return dict(sums)[whole]


# --- the history ----------------------------------------------------------------------------


def history_rows(
    figures: Figures, stocks: Stocks, cite: str, shown: str
) -> tuple[list[tuple[int, str, str, str, str]], list[Assumption]]:
    """history.csv's rows: the figures' history as given, a year's total beside one scheme
    replaced by the other scheme (the difference: the same two figures, by scheme), then the
    data year's insured as the figures print them (never a split the figures did not give)."""
    rows: list[tuple[int, str, str, str, str]] = []
    filled: list[Assumption] = []
    seen: set[tuple[int, str, str]] = set()
    name = Path(shown).name
    for year, funds in sorted(figures.history.items()):
        for fund, indicators in funds.items():
            for indicator, value in indicators.items():
                other = _other_scheme(funds, fund, indicator)
                if other is None:
                    rows.append((year, fund, indicator, _figure(value), cite))
                    seen.add((year, fund, indicator))
                    continue
                given_fund, missing = other
                part = funds[given_fund][indicator]
                derived = value - part
                a = Assumption(
                    f"history.{year}.{missing}.{indicator}",
                    derived,
                    f"history.{year}.total.{indicator} {value:,.0f} - {given_fund} {part:,.0f} "
                    f"(the total taken as UEBMI and URRBMI together; the figures give no "
                    f"{missing} {indicator} of {year})",
                    f"{year}年基本医疗保险合计{value:,.0f}减去{NAMES[given_fund][0]}{part:,.0f}",
                    f"{name}, {year}",
                    "calibration/history.csv",
                )
                filled.append(a)
                rows.append((year, missing, indicator, _figure(derived), f"{cite}; {a.source}"))
                seen.add((year, missing, indicator))
    y = figures.data_year
    given = stocks.insured_given
    derived_insured = stocks.assumed("insured")
    wanted: list[tuple[str, str, str]] = []  # (fund, indicator, key of the insured)
    if "uebmi_active" in given and "uebmi_retired" in given:
        wanted += [
            ("uebmi", "insured_active", "uebmi_active"),
            ("uebmi", "insured_retired", "uebmi_retired"),
        ]
    else:
        wanted.append(("uebmi", "insured", "uebmi"))
    wanted.append(("urrbmi_pool", "insured", "urrbmi"))
    # the balances of the data year are the opening balances, not a figure to fit
    for fund, indicator, key in wanted:
        if (y, fund, indicator) in seen:
            continue
        source = cite
        if key in derived_insured and key in ("uebmi", "urrbmi"):
            source = f"{cite}; {derived_insured[key].source}"
        rows.append((y, fund, indicator, f"{given[key]:.0f}", source))
    return rows, filled


def _other_scheme(
    funds: dict[str, dict[str, float]], fund: str, indicator: str
) -> tuple[str, str] | None:
    """For a total beside exactly one scheme's figure: (the scheme given, the one missing)."""
    if fund != "total" or indicator not in ("income", "expenditure", "balance", "insured"):
        return None
    has = [f for f in ("uebmi", "urrbmi_pool") if indicator in funds.get(f, {})]
    if len(has) != 1:
        return None
    return has[0], "urrbmi_pool" if has[0] == "uebmi" else "uebmi"


# --- the average wage -----------------------------------------------------------------------


def wage_values(figures: Figures, cite: str, first: int) -> tuple[dict[str, Any], str]:
    """``economy.average_wage``: the average wage of the year before each year (the base of
    its contributions) from ``first`` on, the local one when given, else the national one of
    the years up to the data year (a later year's is never seen: a backtest from an earlier
    data year knows only what was published by then); and how it was found, for init.md."""
    if figures.average_wage:
        given = figures.average_wage
        source = f"{cite}: the local average wage of the year before, the base of the year's contributions"
        values: dict[str, float] = {}
        years = sorted(given)
        start = min(first, years[0] + 1)
        for year in range(start, max(years) + 2):
            known = [y for y in years if y <= year - 1]
            wage = given[known[-1]] if known else given[years[0]]
            values[f"{year}-01-01"] = float(wage)
        said = f"the local average wage {years[0]}-{years[-1]} (figures)"
        return {"values": values, "source": source + "; then it grows by economy.wage_growth"}, said
    y = figures.data_year
    series = {k: v for k, v in national_wages().items() if k <= y}  # checked: not empty
    values = {}
    used: list[int] = []
    held: list[int] = []
    for year in range(first, y + 2):
        before = year - 1
        if before not in series:  # before the series: its first year, never a later year's
            held.append(year)
            before = min(series)
        used.append(before)
        values[f"{year}-01-01"] = series[before]
    notes = []
    if 2010 in used:
        notes.append(
            "2010's is the on-post (在岗职工) wage, the only one printed, about 1.6% above the "
            "employed persons' (就业人员) of 2011"
        )
    if held:
        notes.append(f"{held[0]}-{held[-1]} take {min(series)}'s, the first year of the series")
    source = (
        "DEFAULT (fundsim init): the national average wage of urban non-private units of the "
        f"year before ({WAGE_FILE}, NBS; years up to the data year {y} only)"
        + "".join(f"; {n}" for n in notes)
        + "; give the local one in figures.yaml; then it grows by economy.wage_growth"
    )
    said = f"the national average wage {min(used)}-{max(used)} ({WAGE_FILE}); none after {y}"
    return {"values": values, "source": source}, said


def _figure(value: float) -> str:
    """A history figure as written: whole yuan and persons, but a figure below 1 kept as
    given (a unit slip such as 0.27 for 0.27亿元 is warned about, not rounded to 0)."""
    return f"{value:.0f}" if abs(value) >= 1 else f"{value:g}"
