"""What a new region will be, worked out from its figures before anything is written.

:func:`plan_region` puts together the data year's stocks by scheme (:mod:`.filling`), the
history's rows, the wage, the parameters of ``local_policy:`` (:mod:`.policymap`) and
``rules:``, the template's years held back for a region that starts before them, and what of
the template still stands (:mod:`.initreport`). :mod:`.newregion` writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..parameters.catalogue import load_catalogue
from ..source.diagnostics import Collector
from .figures import Figures, Read
from .filling import (
    EPIDEMIC_FILE,
    WAGE_FILE,
    Assumption,
    Stocks,
    fill_stocks,
    history_rows,
    national_epidemic,
    national_wages,
    wage_values,
)
from .initreport import Defaults, defaults_standing, leaves_set, report_text, template_values
from .localpolicy import DOZEN
from .policymap import PolicyTree, policy_parameters

CALIBRATE = {
    "contributions.uebmi.base_to_average_wage": (
        0.3,
        1.0,
        "the mean collected base lies within the 60%-300% floor and cap of the average wage (DOMAIN.md)",
    ),
    "care.admission_level": (
        0.6,
        1.6,
        "national admission rates by age; a region's may differ by a half (ASSUMPTION)",
    ),
    "care.cost_level": (
        0.6,
        1.6,
        "the costs per case are Nanchuan's; a region's may differ by a half (ASSUMPTION)",
    ),
    "population.net_migration_rate": (
        -0.02,
        0.02,
        "net migration of the insured within ±2% a year (ASSUMPTION)",
    ),
    "population.uebmi_entry_level": (
        0.2,
        3.0,
        "the flow into employment of every age band, from a fifth to three times the template's "
        "(ASSUMPTION range; issue 29: fitting the under-25s alone left the employees' membership "
        "2-3% a year too low out of sample)",
    ),
    "care.urrbmi_cost_level": (
        0.4,
        2.5,
        "the residents' cost per case relative to the employees', fitted apart: the template's "
        "tables are Nanchuan's and a region's schemes differ (ASSUMPTION range)",
    ),
    "care.cost_trend": (
        -0.05,
        0.15,
        "the recent years' growth of spending per case, fitted over the window (2014-2025 "
        "national cost per case moved -3.7% to +6% a year, NHSA bulletins; ASSUMPTION range)",
    ),
}


@dataclass
class Plan:
    """Everything ``init`` writes, worked out from the figures before anything is written.

    read : the figures file, read and checked
    cite : the figures' source, cited on every value taken from them
    first : the region's first year simulated (its first history year, or the data year)
    stocks : the data year's insured and balances by scheme
    history : history.csv's rows
    wage, wage_said : economy.average_wage, and how it was found
    policy : the parameters of local_policy
    filled : every value filled by a rule (the ASSUMPTIONS)
    parameters : the baseline's parameters
    set_by_region : the catalogue's parameters the baseline sets
    defaults : the template values it does not replace
    uncertainty : the template's uncertain inputs restated for a rule the figures give anew
    """

    read: Read
    cite: str
    first: int
    stocks: Stocks
    history: list[tuple[int, str, str, str, str]]
    wage: dict[str, Any]
    wage_said: str
    policy: PolicyTree
    filled: list[Assumption]
    parameters: dict[str, Any]
    set_by_region: set[str]
    defaults: Defaults
    uncertainty: dict[str, Any]

    @property
    def figures(self) -> Figures:
        return self.read.figures


def merge_tree(into: dict[str, Any], more: dict[str, Any]) -> None:
    """Merge the nested mapping ``more`` into ``into`` (a scenario's ``parameters:`` tree)."""
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge_tree(into[key], value)
        else:
            into[key] = value


def merge_leaf(into: dict[str, Any], path: str, leaf: Any) -> None:
    """Merge ``leaf`` into the tree ``into`` at the dotted ``path`` (``care.cost_level``)."""
    for key in reversed(path.split(".")):
        leaf = {key: leaf}
    merge_tree(into, leaf)


SIMULATED = 300_000  # persons simulated at most by a region init builds (a weighted sample)


def plan_region(read: Read, figures_file: Path) -> Plan:
    """What the region will be (:class:`Plan`); a problem of the figures raises ScenarioError
    at their lines."""
    figures = read.figures
    cite = f"{figures_file.name}: {figures.source}"
    y = figures.data_year
    first = min(min(figures.history, default=y), y)
    stocks = fill_stocks(figures, read.shown)
    history, history_filled = history_rows(figures, stocks, cite, read.shown)
    wage, wage_said = wage_values(figures, cite, first)
    policy = policy_parameters(read, cite, first)
    balances: dict[str, Any] = {
        "source": f"{cite}: balances at the end of {y}; critical illness and assistance keep no reserve (DEFAULT)",
    }
    assumed = stocks.assumed("balances")
    for account, value in stocks.balances.items():
        if account in assumed:
            balances[account] = {
                "value": float(round(value)),
                "source": f"{cite}; {assumed[account].source}",
            }
        else:
            balances[account] = value
    balances |= {"critical_illness": 0, "medical_assistance": 0}
    parameters: dict[str, Any] = {
        "economy": {"average_wage": wage},
        "finance": {"opening_balance": balances},
    }
    merge_tree(parameters, policy.tree)
    catalogue = load_catalogue()
    by_policy = leaves_set(policy.tree, catalogue)
    by_rules = leaves_set(figures.rules or {}, catalogue)
    problems = Collector()
    for leaf in sorted(set(by_policy) & set(by_rules)):
        origin = next(o for p, o in policy.origin.items() if leaf == p or leaf.startswith(p + "."))
        problems.error(
            read.shown,
            read.line("rules", *by_rules[leaf]),
            "rules." + ".".join(by_rules[leaf]),
            f"{leaf} is also given by {'.'.join(origin)} on line {read.line(*origin)} "
            "(同一参数填写了两次)",
            "give it once: in local_policy, or in rules",
        )
    problems.raise_if_errors()
    growth = wage_growth(wage, y)
    if growth is not None:  # the wage goes on as it went (a rule the figures' rules may replace)
        merge_tree(parameters, {"economy": {"wage_growth": growth[0]}})
    total = sum(stocks.insured.values())
    if total > SIMULATED:  # a large region: a weighted sample, so calibrate runs in minutes
        share = float(f"{SIMULATED / total:.3g}")
        source = (
            f"fundsim init: a weighted sample of about {SIMULATED:,} of the region's "
            f"{total:,.0f} insured, so that calibrate and run take minutes (ASSUMPTION: the "
            "sampling error it adds is part of the runs' spread; rules.population.sample: 1 "
            "simulates everyone)"
        )
        merge_tree(parameters, {"population": {"sample": {"value": share, "source": source}}})
    shock = spending_shock(history, y, float(catalogue["care.cost_shock_sigma"].default or 0.0))
    if shock is not None:
        merge_tree(parameters, {"care": {"cost_shock_sigma": shock}})
    epidemic = epidemic_utilisation(first, y)
    if epidemic is not None:
        merge_tree(parameters, {"care": {"utilisation": epidemic}})
    if figures.rules:
        merge_tree(parameters, figures.rules)
    set_by_region = set(leaves_set(parameters, catalogue))
    redated = _held_back(parameters, set_by_region, first)
    filled = [*stocks.filled, *history_filled, *policy.filled, *redated]
    # a growth rule the baseline writes (with the figures' years, or held back) is still the
    # template's rule: its range is restated here, or the template's draw would replace it unsaid
    _, uncertain = template_values()
    written = set(policy.origin) | {a.what.removeprefix("parameters.") for a in redated}
    restated = {
        value.path: value.node
        for value in uncertain
        if value.path.endswith(".then") and value.path.removesuffix(".then") in written
    }
    if growth is not None and "economy.wage_growth" not in leaves_set(
        figures.rules or {}, catalogue
    ):
        restated["economy.wage_growth"] = growth[1]
    drift = members_drift(history, y)
    if drift is not None:
        restated["population.migration_error"] = drift
    if "uebmi_pool" in assumed:  # the split of one UEBMI balance inferred: drawn
        restated[SPLIT] = {
            "distribution": "triangular",
            "low": -SPLIT_SPREAD,
            "mode": 0.0,
            "high": SPLIT_SPREAD,
            "source": f"ASSUMPTION (fundsim init): the pool's share of the UEBMI balance "
            f"({assumed['uebmi_pool'].data}) may lie {SPLIT_SPREAD:.0%} of the balance either "
            "way in this region; no regional split in the seeds, shared/data or the corpus "
            "(issue 29: opening balances drawn where they are inferred)",
        }
    return Plan(
        read,
        cite,
        first,
        stocks,
        history,
        wage,
        wage_said,
        policy,
        filled,
        parameters,
        set_by_region,
        defaults_standing(set_by_region),
        restated,
    )


SPLIT = "finance.opening_split_shift"
SPLIT_SPREAD = 0.10  # ASSUMPTION: an inferred pool/personal split drawn this far either way


def epidemic_utilisation(first: int, data_year: int) -> dict[str, Any] | None:
    """``care.utilisation`` for a region built from ``data_year``'s figures (issue 29, item 4:
    the epidemic years): the nation's factor in each epidemic year up to the data year, so the
    fit reads the region's levels net of them; after the last one, use as usual (1) once the
    control measures had ended by the data year's end, else the data year's factor held (what
    a forecast from that year end could know: not when the measures would end). None when the
    data year precedes the first epidemic year."""
    rows = national_epidemic()
    known = sorted(year for year in rows if year <= data_year)
    if not known:
        return None
    values: dict[str, float] = {}
    if first < known[0]:
        values[f"{first}-01-01"] = 1.0
    values |= {f"{year}-01-01": rows[year][0] for year in known}
    last = known[-1]
    ended = last < data_year or not rows[last][1]
    if ended:
        values[f"{last + 1}-01-01"] = 1.0
    held = (
        ""
        if ended
        else (
            f"; the measures were in force at the end of {last}: its factor held (ASSUMPTION: "
            "a forecast from that year end could not know when they would end)"
        )
    )
    return {
        "values": values,
        "source": f"DERIVED (fundsim init): the nation's epidemic years {known[0]}-{last} "
        f"({EPIDEMIC_FILE}, years up to the data year {data_year} only; ASSUMPTION: the "
        f"region's epidemic years are the nation's){held}",
    }


DRIFT_YEARS = 5  # the yearly growth rates read for a series' spread, at most


def growth_variance(by_year: dict[int, float], last: int) -> tuple[float, str] | None:
    """The variance (ddof 1) of a series' yearly log growth over its consecutive years ending
    at ``last`` (at most :data:`DRIFT_YEARS` growth rates), and those years as said
    (``2017-2021``); None with fewer than three growth rates or a value not above 0."""
    if last not in by_year:
        return None
    years = [last]
    while years[-1] - 1 in by_year and len(years) <= DRIFT_YEARS:
        years.append(years[-1] - 1)
    years.sort()
    if len(years) < 4 or min(by_year[y] for y in years) <= 0:
        return None
    growth = np.diff(np.log([by_year[y] for y in years]))
    return float(np.var(growth, ddof=1)), f"{years[0]}-{years[-1]}"


def members_drift(
    history: Sequence[tuple[int, str, str, str, str]], data_year: int
) -> dict[str, Any] | None:
    """``population.migration_error``'s draw from the region's own history (issue 29, item 4:
    membership shocks sized from the history): a normal of mean 0 whose sd is the spread of
    the insured's yearly growth, each scheme's over its last consecutive years to the data
    year (:func:`growth_variance`; the root mean of the schemes' variances); None when no
    scheme has three growth rates."""
    counts: dict[str, dict[int, float]] = {}
    parts: dict[int, int] = {}  # the employees' parts given, by year
    for year, fund, indicator, value, *_ in history:
        if year > data_year or indicator not in ("insured", "insured_active", "insured_retired"):
            continue
        scheme = "urrbmi" if fund == "urrbmi_pool" else fund
        if scheme not in ("uebmi", "urrbmi"):
            continue
        key = f"{scheme} {'whole' if indicator == 'insured' else 'parts'}"
        by_year = counts.setdefault(key, {})
        by_year[year] = by_year.get(year, 0.0) + float(value)
        if key == "uebmi parts":
            parts[year] = parts.get(year, 0) + 1
    # active and retired stand for the employees only in the years that give both
    if "uebmi parts" in counts:
        counts["uebmi parts"] = {y: v for y, v in counts["uebmi parts"].items() if parts[y] == 2}
    spreads, said = [], []
    for key in ("uebmi whole", "uebmi parts", "urrbmi whole"):
        if key == "uebmi parts" and len(counts.get("uebmi whole", {})) >= 4:
            continue  # the employees' total where given, else active and retired together
        found = growth_variance(counts.get(key, {}), data_year)
        if found is not None:
            spreads.append(found[0])
            said.append(f"{key.split()[0]} {found[1]}")
    if not spreads:
        return None
    sd = round(float(np.sqrt(np.mean(spreads))), 5)
    return {
        "distribution": "normal",
        "mean": 0.0,
        "sd": sd,
        "source": f"DERIVED (fundsim init): the spread (sd) of the insured's yearly growth in the "
        f"history ({', '.join(said)}), drawn per run as a drift of the members (issue 29: "
        "membership shocks sized from the region's own history)",
    }


def spending_shock(
    history: Sequence[tuple[int, str, str, str, str]], data_year: int, floor: float
) -> dict[str, Any] | None:
    """``care.cost_shock_sigma`` from the region's own history (issue 29, item 4: yearly shocks
    sized from the history): the spread (sd) of each scheme's spending's yearly log growth over
    its last consecutive years to its last year (:func:`growth_variance`; the root mean of the
    schemes' variances; the basic total where neither scheme gives four years running),
    divided by √2 — the shock is a yearly multiplier of the level, whose growth from year to
    year it moves by √2 of its sigma — and never below the catalogue's ``floor``. None when no
    series has three growth rates."""
    series: dict[str, dict[int, float]] = {}
    for year, fund, indicator, value, *_ in history:
        if (
            year <= data_year
            and indicator == "expenditure"
            and fund in ("uebmi", "urrbmi_pool", "total")
        ):
            series.setdefault(fund, {})[year] = float(value)

    def spread(key: str) -> tuple[float, str] | None:
        by_year = series.get(key, {})
        found = growth_variance(by_year, max(by_year, default=0))
        return None if found is None else (found[0], f"{key} {found[1]}")

    # each scheme's where it gives four years running, else the basic total's
    found = [s for s in (spread("uebmi"), spread("urrbmi_pool")) if s] or [
        s for s in (spread("total"),) if s
    ]
    if not found:
        return None
    spreads, said = [v for v, _ in found], [w for _, w in found]
    sigma = round(max(floor, float(np.sqrt(np.mean(spreads)) / np.sqrt(2))), 4)
    return {
        "value": sigma,
        "source": f"DERIVED (fundsim init): the spread (sd) of the spending's yearly growth in the "
        f"history ({', '.join(said)}) over √2, at least the catalogue's {floor:g} (issue 29: "
        "yearly shocks sized from the region's own history)",
    }


WAGE_YEARS = 4  # the wage's growth after the data year: its mean over this many years before
WAGE_SPREAD = 0.03  # ASSUMPTION: the wage's growth may be at least this much lower or higher


def wage_spread(data_year: int) -> tuple[float, str]:
    """How far the wage's growth may lie from its recent mean: the widest gap between a year's
    national wage growth and its mean growth of the :data:`WAGE_YEARS` years before, over the
    national series up to the data year (nothing later), and at least :data:`WAGE_SPREAD`;
    with the sentence that says so. (issue 29: ±3% left out 2024's +2.8% against a mean of
    7.5%.)"""
    wages = {y: w for y, w in national_wages().items() if y <= data_year}
    gaps = {
        y: wages[y] / wages[y - 1] - (wages[y - 1] / wages[y - 1 - WAGE_YEARS]) ** (1 / WAGE_YEARS)
        for y in wages
        if y - 1 - WAGE_YEARS in wages
    }
    if not gaps:
        return WAGE_SPREAD, f"±{WAGE_SPREAD:.0%} (ASSUMPTION)"
    worst = max(gaps, key=lambda y: abs(gaps[y]))
    spread = max(WAGE_SPREAD, round(abs(gaps[worst]), 3))
    said = (
        f"±{spread:.1%}: the widest gap between a year's national wage growth and its mean "
        f"growth of the {WAGE_YEARS} years before, {min(gaps)}-{max(gaps)}, was {worst}'s "
        f"{gaps[worst]:+.1%} ({WAGE_FILE}); at least ±{WAGE_SPREAD:.0%} (ASSUMPTION)"
    )
    return spread, said


def wage_growth(
    wage: dict[str, Any], data_year: int
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``economy.wage_growth`` after the data year, the average wage's mean yearly growth over
    the :data:`WAGE_YEARS` years up to the data year's (a rule, not a guess: the series goes
    on as it went, as a naive forecast would), and its range under uncertainty; None when the
    wage is known for fewer than two years."""
    values = {int(str(d)[:4]) - 1: float(v) for d, v in wage["values"].items()}  # the year before
    years = sorted(y for y in values if y <= data_year)[-(WAGE_YEARS + 1) :]
    if len(years) < 2 or years[-1] - years[0] != len(years) - 1:
        return None
    g = (values[years[-1]] / values[years[0]]) ** (1 / (len(years) - 1)) - 1
    g = round(max(-0.05, min(0.15, g)), 4)
    where = f"the average wage's mean yearly growth {years[0]}-{years[-1]}"
    value = {
        "value": g,
        "source": f"DERIVED (fundsim init): {where} ({wage['source'].split(';')[0]}), held on "
        "after the data year",
    }
    width, said = wage_spread(data_year)
    spread = {
        "distribution": "triangular",
        "low": round(g - width, 4),
        "mode": g,
        "high": round(g + width, 4),
        "source": f"{where}, {said}",
    }
    return value, spread


def _held_back(parameters: dict[str, Any], given: set[str], first: int) -> list[Assumption]:
    """The template's dated values that start after the region's first year (the template's
    years begin in 2016): written into ``parameters`` with their first value held back to the
    first year, each an ASSUMPTION (the region cannot start before its rules otherwise)."""
    start = f"{first}-01-01"
    held = []
    values, _ = template_values()
    for value in values:
        node = value.node
        if "values" not in node or value.path in given:
            continue
        dated = {str(d): v for d, v in node["values"].items()}  # YAML reads the dates as dates
        dates = sorted(dated)
        if dates[0] <= start:
            continue
        a = Assumption(
            f"parameters.{value.path}",
            f"{dated[dates[0]]} from {first}",
            f"the template's first value, of {dates[0]}, holds from {start}: the template has "
            "no earlier year (a template default still)",
            f"模板最早取值（{dates[0]}）适用于{first}年起",
            "scenarios/defaults.yaml",
            "scenarios/baseline.yaml",
        )
        steps = {(start if d == dates[0] else d): dated[d] for d in dates}
        copy = {**node, "values": steps, "source": f"{node['source']}; {a.source}"}
        merge_leaf(parameters, value.path, copy)
        held.append(a)
    return held


def report(plan: Plan, figures_name: str) -> str:
    """init.md: what came from the figures, what was filled, what is still a default."""
    figures = plan.figures
    y = figures.data_year
    insured = {k: v for k, v in figures.insured.model_dump().items() if v is not None}
    balances = {k: v for k, v in figures.balances.model_dump().items() if v is not None}
    history = sorted(figures.history)
    series = sorted(
        {f"{f} {i}" for funds in figures.history.values() for f, ind in funds.items() for i in ind}
    )
    given = [
        f"insured 参保人数 (end of {y}): " + ", ".join(f"{k} {v:,.0f}" for k, v in insured.items()),
        f"balances 累计结余 (end of {y}, yuan): "
        + ", ".join(f"{k} {v:,.0f}" for k, v in balances.items()),
        (
            f"history 历史数据 {history[0]}-{history[-1]}: "
            f"{sum(len(i) for funds in figures.history.values() for i in funds.values())} figures "
            f"({'; '.join(series)})"
            if history
            else "history 历史数据: none (calibrate needs some: add income and expenditure of recent years)"
        ),
        f"average wage 社平工资: {plan.wage_said}",
        f"local_policy 当地政策: {len(plan.policy.origin)} parameters from {sum(1 for f in DOZEN if f.key in _given_keys(plan))} of the dozen figures below"
        + (
            f"; rules: {len(leaves_set(figures.rules, load_catalogue()))} parameters"
            if figures.rules
            else ""
        ),
    ]
    spread = _spreads(plan)
    if spread:
        given.append(
            "uncertainty sized from the history 由历史数据确定的波动: " + "; ".join(spread)
        )
    epidemic = plan.parameters.get("care", {}).get("utilisation")
    if isinstance(epidemic, dict) and "values" in epidemic:
        years = ", ".join(f"{d[:4]} {v:g}" for d, v in epidemic["values"].items())
        given.append(
            "epidemic years 疫情年份 (admissions × 住院人次倍数, national 全国, ASSUMPTION "
            f"假设) care.utilisation: {years}"
            + ("" if "held" not in epidemic["source"] else " (held 延续)")
        )
    dozen = {}
    for figure in DOZEN:
        if figure.key in _given_keys(plan):
            head, _, sub = figure.key.partition(".")
            path = ("local_policy", head, *((sub,) if sub else ()))
            note = plan.policy.notes.get(figure.key)
            if figure.key == "uebmi_inpatient.ratio" and sub not in plan.read.policy[head]:
                path = ("local_policy", head, "ratio_retired")
                note = "retired only: the active ratios stay the template's (Nanchuan's rules)"
            dozen[figure.key] = f"line {plan.read.line(*path)}" + (f"; {note}" if note else "")
    return report_text(
        names=(figures.region.zh, figures.region.en),
        figures_name=figures_name,
        figures_source=figures.source,
        data_year=y,
        horizon=(y + 1, y + figures.horizon_years),
        given=given,
        filled=plan.filled,
        dozen=dozen,
        defaults=plan.defaults,
        set_by_region=plan.set_by_region,
    )


def _spreads(plan: Plan) -> list[str]:
    """The spreads init sized from the region's own history, as init.md says them."""
    out = []
    shock = plan.parameters.get("care", {}).get("cost_shock_sigma")
    if isinstance(shock, dict) and str(shock.get("source", "")).startswith("DERIVED"):
        out.append(
            f"yearly cost shock 次均费用年度波动 care.cost_shock_sigma {shock['value']:.1%} "
            "(spending growth's sd ÷ √2 支出增长率标准差÷√2)"
        )
    drift = plan.uncertainty.get("population.migration_error")
    if drift:
        out.append(
            f"members' drift 参保人数漂移 population.migration_error sd {drift['sd']:.2%} a year "
            "(insured growth's sd 参保人数增长率标准差)"
        )
    wage = plan.uncertainty.get("economy.wage_growth")
    if wage and "mode" in wage:
        out.append(
            f"wage growth 工资增长率 {wage['mode']:.1%} (range 范围 {wage['low']:.1%}-{wage['high']:.1%})"
        )
    return out


def _given_keys(plan: Plan) -> set[str]:
    keys = set()
    for head, value in plan.read.policy.items():
        if isinstance(value, dict) and head.endswith("_inpatient"):
            keys |= {f"{head}.{sub}" for sub in value}
            if "ratio_retired" in value:
                keys.add(f"{head}.ratio")
        else:
            keys.add(head)
    return keys
