"""Settling checked claims held as compact arrays: the claim calculator's arithmetic.

A claims file of ten million claims is kept as one set of typed arrays (:class:`ClaimArrays`,
42 bytes a claim) and what each layer pays (:class:`Paid`, 48 bytes a claim), never as a
table of text. :func:`settle_arrays` orders the claims by year, person and date with one
stable sort of a combined integer key, cuts each year at the dates its rules change, and
settles each piece in batches of whole persons (``batch`` claims or so): a person's running
annual totals go from batch to batch as they go from piece to piece (the inpatient
:class:`~fundsim.benefits.rules.RunningTotals`, each outpatient cover's
:class:`~fundsim.benefits.outpatient.VisitTotals` and running sums), so the payments are
the same, float for float, whatever the batch size, and memory beyond the arrays is that of
one batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..codes import FILINGS, LEVELS, RETIRED, SCHEME_POOL, SCHEMES, SPECIAL_GROUPS, URRBMI
from ..parameters.tree import ParameterTree, Snapshot
from ..source.diagnostics import InputError
from .kernel import settle_grouped
from .outpatient import KINDS, VisitTotals, settle_visits, visit_terms
from .rules import RunningTotals
from .tables import TermTables

# the choices of the claims file's choice columns; a claim holds each as its index here
SCHEME_CHOICES = ("uebmi", "urrbmi")
GROUPS = ("none", *SPECIAL_GROUPS)  # the group codes of the term tables (GROUP_CODES)
FILING_CHOICES = ("local", *FILINGS)
CHOICES = {
    "scheme": SCHEME_CHOICES,
    "level": LEVELS,
    "special_group": GROUPS,
    "filing": FILING_CHOICES,
    "kind": KINDS,
}
OUT_OF_AREA = LEVELS.index("out_of_area")
FILED = FILINGS.index("filed")
BATCH = 262_144  # claims settled together: about 100 MB of working arrays
Rows = NDArray[np.signedinteger[Any]]  # positions of claims (int32 when they fit)


@dataclass
class ClaimArrays:
    """Checked claims, one entry per claim in the file's order.

    Attributes
    ----------
    person : int32, the person's code (:class:`People`): a person's claims share totals
    date : int32 [days since 1970-01-01]
    scheme, level, special_group, filing, kind : int8, the index of the value in
        :data:`CHOICES` (level: in :data:`fundsim.codes.LEVELS`)
    retired, tcm, transfer : int8, 0 or 1
    total, non_insured, class_b : float64 [yuan]
    days : int16, the length of a stay [days]
    """

    person: NDArray[np.int32]
    date: NDArray[np.int32]
    scheme: NDArray[np.int8]
    retired: NDArray[np.int8]
    level: NDArray[np.int8]
    total: NDArray[np.float64]
    non_insured: NDArray[np.float64]
    class_b: NDArray[np.float64]
    tcm: NDArray[np.int8]
    special_group: NDArray[np.int8]
    filing: NDArray[np.int8]
    kind: NDArray[np.int8]
    days: NDArray[np.int16]
    transfer: NDArray[np.int8]

    def __len__(self) -> int:
        return len(self.person)

    @classmethod
    def joined(cls, parts: list[ClaimArrays]) -> ClaimArrays:
        """The claims of ``parts`` one after the other (``parts`` is emptied as it goes, so
        that each column is held twice at most)."""
        names = [f.name for f in fields(cls)]
        columns = {}
        for name in names:
            columns[name] = np.concatenate([getattr(p, name) for p in parts])
            for p in parts:
                setattr(p, name, columns[name][:0])
        parts.clear()
        return cls(**columns)


DTYPES = {
    "person": np.int32,
    "date": np.int32,
    "total": np.float64,
    "non_insured": np.float64,
    "class_b": np.float64,
    "days": np.int16,
}  # the others int8


# what the calculator says of each claim [yuan, two decimals], after the claims' columns
OUTPUT = (
    "policy_range",
    "deductible",
    "fund",
    "high_cost",
    "critical_illness",
    "assistance",
    "patient",
)


@dataclass
class Paid:
    """What each layer pays for each claim [yuan], in the claims' order, not rounded.

    ``layer`` is the second layer: the high-cost cover of an employee (UEBMI), critical
    illness insurance of a resident (URRBMI); 0 for an outpatient visit.
    """

    policy_range: NDArray[np.float64]
    deductible: NDArray[np.float64]
    fund: NDArray[np.float64]
    layer: NDArray[np.float64]
    assistance: NDArray[np.float64]
    patient: NDArray[np.float64]

    @classmethod
    def zeros(cls, n: int) -> Paid:
        return cls(*(np.zeros(n) for _ in fields(cls)))

    def columns(
        self, scheme: NDArray[np.integer[Any]], rows: slice = slice(None)
    ) -> dict[str, NDArray[np.float64]]:
        """The :data:`OUTPUT` columns of the claims ``rows`` [yuan, rounded to two
        decimals]; ``scheme`` those claims' schemes (codes of :data:`SCHEME_CHOICES`): the
        second layer is an employee's high-cost cover, a resident's critical illness."""
        employee = scheme == SCHEME_CHOICES.index("uebmi")
        layer = self.layer[rows]
        values = {
            "policy_range": self.policy_range[rows],
            "deductible": self.deductible[rows],
            "fund": self.fund[rows],
            "high_cost": np.where(employee, layer, 0.0),
            "critical_illness": np.where(employee, 0.0, layer),
            "assistance": self.assistance[rows],
            "patient": self.patient[rows],
        }
        return {name: np.round(values[name], 2) for name in OUTPUT}


class People:
    """Person identifiers as integer codes, in the order first seen, across the chunks of a
    file: the same codes as one ``pd.factorize`` of the whole column."""

    def __init__(self) -> None:
        self.code: dict[object, int] = {}

    def __len__(self) -> int:
        return len(self.code)

    def codes(self, ids: NDArray[np.object_]) -> NDArray[np.int32]:
        """The codes of ``ids`` (new identifiers get the next codes)."""
        local, uniques = pd.factorize(ids, use_na_sentinel=False)
        table = self.code
        known = np.fromiter(
            (table.setdefault(u, len(table)) for u in uniques), dtype=np.int64, count=len(uniques)
        )
        if len(table) >= 2**31:
            raise InputError(
                "more than 2,147,483,647 persons in one claims file; split it "
                "(一个文件的参保人过多，请拆分)"
            )
        codes: NDArray[np.int32] = known[local].astype(np.int32)
        return codes


def day_number(day: dt.date) -> int:
    """``day`` as days since 1970-01-01."""
    return int(np.datetime64(day, "D").astype(np.int64))


def settle_arrays(tree: ParameterTree, claims: ClaimArrays, batch: int = BATCH) -> Paid:
    """What each layer pays for ``claims`` under ``tree``'s rules on each claim's date.

    A person's claims of a calendar year are settled in date order (the file's order on one
    day) with their running annual totals; the year is cut at the dates its rules change,
    each piece under the rules of its first day.

    Parameters
    ----------
    tree : the scenario's rules
    claims : checked claims, dated within ``tree``'s horizon
    batch : about how many claims are settled together (whole persons; more takes more
        memory; the payments do not depend on it)

    Returns
    -------
    Paid
        each layer's payment for each claim [yuan, not rounded], in the claims' order

    Raises
    ------
    InputError
        a claim dated outside ``tree``'s horizon (:func:`~fundsim.benefits.calculator.check_claims`
        names it at its line)
    """
    n = len(claims)
    paid = Paid.zeros(n)
    if n == 0:
        return paid
    date = claims.date
    if date.min() < day_number(tree.start) or date.max() > day_number(tree.end):
        raise InputError(
            f"claims dated outside the rules' horizon {tree.start} to {tree.end}; "
            "check_claims(..., horizon=...) names them"
        )
    people = int(claims.person.max()) + 1
    order, years = _order(claims, people)
    breaks = sorted(set(tree.breakpoints()))
    for year, (lo, hi) in years.items():
        in_year = order[lo:hi]
        day = date[in_year]
        totals = RunningTotals.empty()
        # each outpatient cover's totals of the year, by person
        covers = {cover: VisitTotals(np.zeros(people), np.zeros(people)) for cover in KINDS[1:]}
        # cut the year at the dates its rules change; each piece under the rules of its start
        starts = [
            dt.date(year, 1, 1),
            *(b for b in breaks if b.year == year and b.month * 100 + b.day > 101),
        ]
        for k, begin in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else dt.date(year + 1, 1, 1)
            rows = in_year[(day >= day_number(begin)) & (day < day_number(end))]
            if len(rows) == 0:
                continue
            s = tree.at(begin)
            kind = claims.kind[rows]
            for part in _batches(rows[kind == 0], claims.person, batch):
                totals = _settle(s, claims, part, totals, paid)
            for code, cover in enumerate(KINDS[1:], start=1):
                carry = (0.0, 0.0)
                for part in _batches(rows[kind == code], claims.person, batch):
                    carry = _settle_visits(s, claims, part, cover, covers[cover], carry, paid)
    return paid


def _order(claims: ClaimArrays, people: int) -> tuple[Rows, dict[int, tuple[int, int]]]:
    """The claims in order of year, person, date and place in the file (one stable sort of a
    combined key), and each year's slice of that order."""
    date = claims.date
    first, last = (np.datetime64(int(d), "D").item() for d in (date.min(), date.max()))
    years = list(range(first.year, last.year + 1))
    starts = np.array([day_number(dt.date(y, 1, 1)) for y in years])
    span = int(date.max()) - int(date.min()) + 1
    if len(years) * people * span >= 2**62:
        raise InputError(
            "the claims span too many years and persons to be ordered; split the file by year "
            "(跨越年度和人数过多，请按年度拆分文件)"
        )
    key = np.searchsorted(starts, date, side="right")  # the year's index + 1
    key -= 1
    counts = np.bincount(key, minlength=len(years))
    key *= people
    key += claims.person
    key *= span
    key += date
    key -= int(date.min())
    order = np.argsort(key, kind="stable")
    del key
    if len(order) < 2**31:  # half the memory, while the claims are settled
        order = order.astype(np.int32)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    slices = {y: (int(bounds[i]), int(bounds[i + 1])) for i, y in enumerate(years) if counts[i]}
    return order, slices


def _batches(rows: Rows, person: NDArray[np.int32], size: int) -> Iterator[Rows]:
    """``rows`` (grouped by person) cut into runs of about ``size`` rows, between persons."""
    if len(rows) == 0:
        return
    if len(rows) <= size:
        yield rows
        return
    who = person[rows]
    starts = np.flatnonzero(np.concatenate([[True], who[1:] != who[:-1]]))
    at = np.searchsorted(starts, np.arange(size, len(rows), size))
    cuts = np.unique(starts[at[at < len(starts)]])
    yield from np.split(rows, cuts[cuts > 0])


def _status(claims: ClaimArrays, rows: Rows) -> NDArray[np.int64]:
    """Each claim's membership status (:data:`fundsim.codes.SCHEMES`)."""
    urrbmi = claims.scheme[rows] == SCHEME_CHOICES.index("urrbmi")
    return np.where(urrbmi, URRBMI, np.where(claims.retired[rows] == 1, RETIRED, 0))


def _settle(
    s: Snapshot, claims: ClaimArrays, rows: Rows, totals: RunningTotals, out: Paid
) -> RunningTotals:
    """Settle the stays ``rows`` (whole persons' claims of one piece of a year, grouped by
    person in date order) under snapshot ``s``, with the people's totals so far; the totals
    after."""
    # one table per filing status, stacked: a claim's key starts at its status's block
    tables = TermTables.stacked_cached(s)
    _, levels, tcms, groups = tables.shape
    st = _status(claims, rows)
    level = claims.level[rows].astype(np.int64)
    # an out-of-area stay given as local counts as filed (the model's case); a local one too
    given = claims.filing[rows].astype(np.int64)
    filing = np.where(level == OUT_OF_AREA, np.where(given == 0, FILED, given - 1), FILED)
    block = filing * len(SCHEMES) + st
    group = np.where(st == URRBMI, claims.special_group[rows].astype(np.int64), 0)
    tcm = claims.tcm[rows].astype(np.int64)
    key = ((block * levels + level) * tcms + tcm) * groups + group
    total, policy_range, who, first = _bill(s, claims, rows, st)
    stay = {
        "days": claims.days[rows].astype(np.float64),
        "transfer": claims.transfer[rows].astype(np.float64),
    }
    paid = settle_grouped(
        tables, first, total, policy_range, key.astype(np.intp), totals.prior(who), stay
    )
    out.policy_range[rows] = policy_range
    out.deductible[rows] = paid.deductible_applied
    out.fund[rows] = paid.fund
    out.layer[rows] = paid.layer
    out.assistance[rows] = paid.assistance
    out.patient[rows] = paid.patient
    return totals.add(who, policy_range, paid)


def _bill(
    s: Snapshot, claims: ClaimArrays, rows: Rows, status: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
    """The rows' bills, policy ranges (less the cost outside the catalogue and the class-B
    first self-pay of each claim's scheme) [yuan], people and each person's first row."""
    total = claims.total[rows]
    selfpay_b = np.array(
        [float(s[f"benefits.{scheme}.inpatient.class_b_selfpay"]) for scheme in SCHEME_POOL]
    )[status]
    outside = claims.non_insured[rows]
    policy_range = total - outside - claims.class_b[rows] * selfpay_b
    who = claims.person[rows].astype(np.int64)
    first = np.ones(len(rows), dtype=bool)
    first[1:] = who[1:] != who[:-1]
    return total, policy_range, who, first


def _settle_visits(
    s: Snapshot,
    claims: ClaimArrays,
    rows: Rows,
    cover: str,
    totals: VisitTotals,
    carry: tuple[float, float],
    out: Paid,
) -> tuple[float, float]:
    """Settle outpatient visits ``rows`` of one cover (whole persons' visits of one piece of
    a year, grouped by person in date order, after the batches that gave ``carry``) under
    snapshot ``s``; ``totals`` (by person) updated in place; the carry for the next batch."""
    st = _status(claims, rows)
    cell = st * len(LEVELS) + claims.level[rows].astype(np.int64)
    names = ("visit_deductible", "deductible", "ratio", "cap")
    table = np.zeros((len(SCHEMES) * len(LEVELS), len(names)))
    for k in np.unique(cell):  # each status × level's terms looked up once
        terms_k = visit_terms(s, int(k) // len(LEVELS), LEVELS[int(k) % len(LEVELS)], cover)
        table[k] = [terms_k[name] for name in names]
    terms = {name: table[cell, j] for j, name in enumerate(names)}
    total, policy_range, who, first = _bill(s, claims, rows, st)
    paid = settle_visits(
        first,
        total,
        policy_range,
        terms,
        VisitTotals(totals.used[who], totals.uncapped[who]),
        carry,
    )
    out.policy_range[rows] = policy_range
    out.deductible[rows] = paid.deductible
    out.fund[rows] = paid.fund
    out.patient[rows] = paid.patient
    # each person's totals after their last visit here
    last = np.append(first[1:], True)
    totals.used[who[last]] = paid.totals_after.used[last]
    totals.uncapped[who[last]] = paid.totals_after.uncapped[last]
    return paid.carry
