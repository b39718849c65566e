"""The claim calculator: what each layer pays for given claims, on the model's own code.

``calculate(scenario, claims)`` settles a table of claims under the scenario's rules
on each claim's date: the policy range from the bill (the cost outside the catalogue and the
class-B items' first self-pay taken out), the terms of the claim's scheme, level, TCM, special
group and filing status (``claim_terms``, through the same term tables and compiled kernel as
the model), a person's claims of one calendar year in date order with the running annual
totals (the deductible per admission, the pooled cap, the second layer's tiers and cap,
assistance's cap). Layers in order: deductible, pooled ratio and cap, high-cost cover (UEBMI)
or critical illness (URRBMI), medical assistance, the patient's rest. Outpatient visits
(``kind`` outpatient or two_diseases) are settled by :mod:`fundsim.benefits.outpatient`:
per-visit deductible, annual deductible, ratio and annual cap of their cover.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..codes import (
    FILINGS,
    LEVELS,
    RETIRED,
    SCHEME_POOL,
    SCHEMES,
    SPECIAL_GROUPS,
    URRBMI,
)
from ..parameters.tree import ParameterTree, Snapshot
from ..source.diagnostics import Collector, InputError
from .kernel import settle_grouped
from .outpatient import KINDS, VisitTotals, settle_visits, visit_terms
from .rules import RunningTotals
from .tables import TermTables

MAX_YUAN = 1e8  # ASSUMPTION: no inpatient bill is near 100 million yuan
MAX_DAYS = 3660  # ASSUMPTION: a stay of ten years is beyond any bill
# the numeric column kinds: (largest value, whole numbers only, what a value must be)
NUMBERS = {
    "money": (MAX_YUAN, False, "an amount of yuan"),
    "days": (MAX_DAYS, True, "a whole number of days"),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, date, choice, flag, money
    default: str | None  # None: required
    choices: tuple[str, ...] = ()
    meaning: str = ""


COLUMNS = (
    Column("person", "text", None, meaning="an identifier; a person's claims share annual totals"),
    Column("date", "date", None, meaning="admission date, YYYY-MM-DD: the rules in force then"),
    Column("scheme", "choice", None, ("uebmi", "urrbmi"), "uebmi (employees) or urrbmi"),
    Column("retired", "flag", None, meaning="1 for a retired employee, else 0"),
    Column("level", "choice", None, LEVELS, "a hospital level the region declares, or out_of_area"),
    Column("total", "money", None, meaning="the bill [yuan]"),
    Column("non_insured", "money", "0", meaning="cost outside the catalogue [yuan]"),
    Column("class_b", "money", "0", meaning="cost of class-B items (乙类) [yuan]"),
    Column("tcm", "flag", "0", meaning="1 for a traditional Chinese medicine admission"),
    Column(
        "special_group",
        "choice",
        "none",
        ("none", *SPECIAL_GROUPS),
        "a URRBMI member's special group",
    ),
    Column(
        "filing",
        "choice",
        "local",
        ("local", *FILINGS),
        "local, or an out-of-area stay's filing status",
    ),
    Column(
        "kind",
        "choice",
        "inpatient",
        KINDS,
        "inpatient (a stay), outpatient (a general outpatient visit) or two_diseases "
        "(a resident's hypertension or diabetes drugs, 两病)",
    ),
    Column("days", "days", "0", meaning="length of the stay [days] (0: not given)"),
    Column(
        "transfer", "flag", "0", meaning="1 for a stay entered on transfer from another local one"
    ),
)
OUTPUT = (
    "policy_range",
    "deductible",
    "fund",
    "high_cost",
    "critical_illness",
    "assistance",
    "patient",
)


def check_claims(
    claims: pd.DataFrame,
    display: str,
    problems: Collector,
    lines: NDArray[np.int64] | None = None,
    horizon: tuple[dt.date, dt.date] | None = None,
    levels: Sequence[str] = LEVELS,
) -> pd.DataFrame:
    """The claims as typed columns (defaults filled); each bad cell an error at its line and
    column (row i of ``claims`` is line ``lines[i]`` of ``display``; by default i + 2, under
    a header). ``levels``: the region's places of care (its declared hospital levels and
    out_of_area)."""
    missing = [c.name for c in COLUMNS if c.default is None and c.name not in claims.columns]
    if missing:
        problems.error(
            display,
            1,
            "",
            f"missing column(s) {', '.join(missing)}",
            "a claims file has columns " + ", ".join(c.name for c in COLUMNS),
        )
        return claims
    unknown = [c for c in claims.columns if c not in {col.name for col in COLUMNS}]
    if unknown:
        problems.error(
            display,
            1,
            "",
            f"unknown column(s) {', '.join(map(str, unknown))}",
            "the columns are " + ", ".join(c.name for c in COLUMNS),
        )
    out = pd.DataFrame(index=claims.index)
    lines = np.arange(len(claims)) + 2 if lines is None else lines

    def bad(mask: NDArray[np.bool_], column: str, message: str) -> None:
        for i in np.flatnonzero(mask)[:20]:  # the first 20 of a column: enough to fix a file
            value = claims[column].iloc[i]
            problems.error(display, int(lines[i]), column, message.format(value=value))

    for c in COLUMNS:
        text = (
            _stripped(claims[c.name])
            if c.name in claims.columns
            else pd.Series(c.default, index=claims.index)
        )
        if c.default is not None:
            text = text.where(text != "", c.default).where(text != "nan", c.default)
        if c.kind == "text":
            bad((text == "").to_numpy(), c.name, "no person given")
            out[c.name] = text
        elif c.kind == "date":
            parsed = _each_once(
                text, lambda u: pd.to_datetime(u, format="%Y-%m-%d", errors="coerce")
            )
            bad(parsed.isna().to_numpy(), c.name, "'{value}' is not a date YYYY-MM-DD")
            out[c.name] = parsed
        elif c.kind == "choice":
            choices = tuple(levels) if c.name == "level" else c.choices
            bad(
                ~text.isin(choices).to_numpy(),
                c.name,
                "'{value}' is not one of " + ", ".join(choices),
            )
            out[c.name] = text
        elif c.kind == "flag":
            bad(~text.isin(("0", "1")).to_numpy(), c.name, "'{value}' is not 0 or 1")
            out[c.name] = text == "1"
        else:  # a number: an amount of yuan or a whole number of days
            largest, whole, what = NUMBERS[c.kind]
            number = _each_once(text, lambda u: pd.to_numeric(u, errors="coerce"))
            outside = number.isna() | (number < 0) | (number > largest)
            if whole:
                outside |= number % 1 != 0
            bad(outside.to_numpy(), c.name, f"'{{value}}' is not {what} from 0 to {largest:g}")
            out[c.name] = number
    if problems.has_errors:
        return out
    if horizon is not None:  # the rules are known within the scenario's horizon only
        first, last = (pd.Timestamp(d) for d in horizon)
        outside = (out["date"] < first) | (out["date"] > last)
        bad(
            outside.to_numpy(),
            "date",
            f"'{{value}}' lies outside the scenario's horizon {horizon[0]} to {horizon[1]}, "
            "whose rules are the ones known",
        )
    parts = out["non_insured"] + out["class_b"]
    bad(
        (parts > out["total"] + 1e-9).to_numpy(),
        "total",
        "{value} is less than non_insured + class_b",
    )
    employee = out["scheme"] == "uebmi"
    bad((~employee & out["retired"]).to_numpy(), "retired", "only an employee (uebmi) is retired")
    bad(
        (employee & (out["special_group"] != "none")).to_numpy(),
        "special_group",
        "special groups are URRBMI members'",
    )
    # an out-of-area stay given as local counts as filed (the model's case)
    away = out["level"] == "out_of_area"
    bad(
        (~away & (out["filing"] != "local")).to_numpy(),
        "filing",
        "'{value}' is a filing status of an out_of_area stay; a local stay is local",
    )
    visit = out["kind"] != "inpatient"
    bad(
        (visit & away).to_numpy(),
        "level",
        "outpatient visits are settled at a local level, not '{value}'",
    )
    bad(
        (visit & out["tcm"]).to_numpy(),
        "tcm",
        "the TCM bonus is an inpatient rule; an outpatient visit has tcm 0",
    )
    bad(
        (visit & ((out["days"] > 0) | out["transfer"])).to_numpy(),
        "kind",
        "'{value}' is a visit: days and transfer describe an inpatient stay",
    )
    bad(
        ((out["kind"] == "two_diseases") & employee).to_numpy(),
        "kind",
        "'{value}' (两病 drugs) is a cover of residents (urrbmi)",
    )
    return out


class Rules(Protocol):
    """What the calculator needs of a scenario (:class:`fundsim.scenario.Scenario`)."""

    @property
    def tree(self) -> ParameterTree: ...

    @property
    def levels(self) -> tuple[str, ...]: ...


def _stripped(column: pd.Series) -> pd.Series:
    """A column as text without surrounding spaces: each distinct value stripped once (a
    claims file repeats its codes, dates and people many times)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    text = pd.Index(uniques).astype(str).str.strip()
    return pd.Series(np.asarray(text, dtype=object)[codes], index=column.index)


def _each_once(text: pd.Series, parse: Callable[[pd.Index], Any]) -> pd.Series:
    """``parse`` applied to each distinct value of ``text`` once, then spread to the rows."""
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    parsed = pd.Series(parse(pd.Index(uniques)))
    return pd.Series(parsed.to_numpy()[codes], index=text.index)


def calculate(scenario: Rules, claims: pd.DataFrame, name: str = "claims") -> pd.DataFrame:
    """What each layer pays for ``claims`` under ``scenario``'s rules on each claim's date.

    ``claims`` has the columns of :data:`COLUMNS` (values as a CSV gives them: text or
    numbers; optional columns may be left out); bad rows raise
    :class:`~fundsim.source.diagnostics.ScenarioError` naming the row's line (of a file
    ``name`` with a header) and the column. Returns the input columns plus :data:`OUTPUT`
    [yuan, two decimals].
    """
    problems = Collector()
    tree = scenario.tree
    text = claims.reset_index(drop=True).astype(str)
    typed = check_claims(
        text, name, problems, horizon=(tree.start, tree.end), levels=scenario.levels
    )
    problems.raise_if_errors()
    return settle_claims(tree, typed)


def settle_claims(tree: ParameterTree, claims: pd.DataFrame) -> pd.DataFrame:
    """What each layer pays for ``claims`` (checked: :func:`check_claims`) under ``tree``'s
    rules on each claim's date; the input columns plus :data:`OUTPUT` [yuan, two decimals]."""
    c = claims.reset_index(drop=True)
    n = len(c)
    first, last = pd.Timestamp(tree.start), pd.Timestamp(tree.end)
    if ((c["date"] < first) | (c["date"] > last)).any():
        raise InputError(
            f"claims dated outside the rules' horizon {tree.start} to {tree.end}; "
            "check_claims(..., horizon=...) names them"
        )
    scheme = c["scheme"].to_numpy()
    status = np.where(scheme == "urrbmi", URRBMI, np.where(c["retired"].to_numpy(), RETIRED, 0))
    away = c["level"].to_numpy() == "out_of_area"
    filing = np.where(away, np.where(c["filing"] == "local", "filed", c["filing"]), "filed")
    dates = c["date"].to_numpy().astype("datetime64[D]").astype(np.int64)  # days since 1970
    years = c["date"].dt.year.to_numpy()
    person_codes = pd.factorize(c["person"])[0].astype(np.int64)
    # a person's claims of a year in date order (stable: the file's order on one day)
    order = np.lexsort((np.arange(n), dates, person_codes, years))
    out = {name: np.zeros(n) for name in OUTPUT}
    breaks = sorted({d for d in tree.breakpoints()})
    kind = c["kind"].to_numpy()
    people = int(person_codes.max()) + 1 if n else 0
    for year in np.unique(years):
        in_year = order[years[order] == year]
        totals = RunningTotals.empty()
        # each outpatient cover's totals of the year, by person
        covers = {cover: VisitTotals(np.zeros(people), np.zeros(people)) for cover in KINDS[1:]}
        # cut the year at the dates its rules change; each piece under the rules of its start
        starts = [
            dt.date(int(year), 1, 1),
            *(b for b in breaks if b.year == year and b.month * 100 + b.day > 101),
        ]
        for k, begin in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else dt.date(int(year) + 1, 1, 1)
            first_day, after = (np.datetime64(d, "D").astype(np.int64) for d in (begin, end))
            rows = in_year[(dates[in_year] >= first_day) & (dates[in_year] < after)]
            if len(rows) == 0:
                continue
            s = tree.at(begin)
            inpatient = rows[kind[rows] == "inpatient"]
            if len(inpatient):
                totals = _settle(s, c, inpatient, status, filing, person_codes, totals, out)
            for cover in KINDS[1:]:
                visits = rows[kind[rows] == cover]
                if len(visits):
                    _settle_visits(s, c, visits, status, person_codes, cover, covers[cover], out)
    result = claims.reset_index(drop=True).copy()
    result["date"] = c["date"].dt.strftime("%Y-%m-%d")
    for flag in (col.name for col in COLUMNS if col.kind == "flag"):
        result[flag] = result[flag].astype(int)
    for name in OUTPUT:
        result[name] = np.round(out[name], 2)
    return result


def _settle(
    s: Snapshot,
    c: pd.DataFrame,
    rows: NDArray[np.intp],
    status: NDArray[np.int64],
    filing: NDArray[np.str_],
    person: NDArray[np.int64],
    totals: RunningTotals,
    out: dict[str, NDArray[np.float64]],
) -> RunningTotals:
    """Settle ``rows`` (one piece of a year, grouped by person in date order) under snapshot
    ``s``, with the people's totals so far; the totals after."""
    # one table per filing status, stacked: a claim's key starts at its status's block
    tables = TermTables.stacked_cached(s)
    _, levels, tcms, groups = tables.shape
    st = status[rows]
    block = _codes(filing[rows], FILINGS) * len(SCHEMES) + st
    level = _codes(c["level"].to_numpy()[rows], LEVELS)
    group = np.where(st == URRBMI, _codes(c["special_group"].to_numpy()[rows], GROUPS), 0)
    tcm = c["tcm"].to_numpy()[rows].astype(np.int64)
    key = ((block * levels + level) * tcms + tcm) * groups + group
    total, policy_range, who, first = _bill(s, c, rows, st, person)
    stay = {
        "days": c["days"].to_numpy(dtype=float)[rows],
        "transfer": c["transfer"].to_numpy()[rows].astype(float),
    }
    paid = settle_grouped(
        tables, first, total, policy_range, key.astype(np.intp), totals.prior(who), stay
    )
    employee = st != URRBMI
    out["policy_range"][rows] = policy_range
    out["deductible"][rows] = paid.deductible_applied
    out["fund"][rows] = paid.fund
    out["high_cost"][rows] = np.where(employee, paid.layer, 0.0)
    out["critical_illness"][rows] = np.where(employee, 0.0, paid.layer)
    out["assistance"][rows] = paid.assistance
    out["patient"][rows] = paid.patient
    return totals.add(who, policy_range, paid)


def _bill(
    s: Snapshot,
    c: pd.DataFrame,
    rows: NDArray[np.intp],
    status: NDArray[np.int64],
    person: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
    """The rows' bills, policy ranges (less the cost outside the catalogue and the class-B
    first self-pay of each claim's scheme), people and each person's first row."""
    total = c["total"].to_numpy(dtype=float)[rows]
    selfpay_b = np.array(
        [float(s[f"benefits.{scheme}.inpatient.class_b_selfpay"]) for scheme in SCHEME_POOL]
    )[status]
    outside = c["non_insured"].to_numpy(dtype=float)[rows]
    policy_range = total - outside - c["class_b"].to_numpy(dtype=float)[rows] * selfpay_b
    who = person[rows]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = who[1:] != who[:-1]
    return total, policy_range, who, first


def _settle_visits(
    s: Snapshot,
    c: pd.DataFrame,
    rows: NDArray[np.intp],
    status: NDArray[np.int64],
    person: NDArray[np.int64],
    cover: str,
    totals: VisitTotals,
    out: dict[str, NDArray[np.float64]],
) -> None:
    """Settle outpatient visits ``rows`` of one cover (one piece of a year, grouped by person
    in date order) under snapshot ``s``; ``totals`` (by person) updated in place."""
    st = status[rows]
    cell = st * len(LEVELS) + _codes(c["level"].to_numpy()[rows], LEVELS)
    fields = ("visit_deductible", "deductible", "ratio", "cap")
    table = np.zeros((len(SCHEMES) * len(LEVELS), len(fields)))
    for k in np.unique(cell):  # each status × level's terms looked up once
        terms_k = visit_terms(s, int(k) // len(LEVELS), LEVELS[int(k) % len(LEVELS)], cover)
        table[k] = [terms_k[name] for name in fields]
    terms = {name: table[cell, j] for j, name in enumerate(fields)}
    total, policy_range, who, first = _bill(s, c, rows, st, person)
    paid = settle_visits(
        first, total, policy_range, terms, VisitTotals(totals.used[who], totals.uncapped[who])
    )
    out["policy_range"][rows] = policy_range
    out["deductible"][rows] = paid.deductible
    out["fund"][rows] = paid.fund
    out["patient"][rows] = paid.patient
    # each person's totals after their last visit here
    last = np.append(first[1:], True)
    totals.used[who[last]] = paid.totals_after.used[last]
    totals.uncapped[who[last]] = paid.totals_after.uncapped[last]


GROUPS = ("none", *SPECIAL_GROUPS)  # the group codes of the term tables (GROUP_CODES)


def _codes(values: NDArray[Any], names: tuple[str, ...]) -> NDArray[np.int64]:
    return np.asarray(pd.Categorical(values, categories=list(names)).codes, dtype=np.int64)
