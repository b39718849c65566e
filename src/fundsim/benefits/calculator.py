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

This module holds the claims' columns, their checks (:func:`check_claims`) and the table
interface; the arithmetic on compact arrays is :mod:`fundsim.benefits.settling`, a claims
file read and written in chunks :mod:`fundsim.benefits.claimsfile`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..codes import LEVELS
from ..parameters.tree import ParameterTree
from ..source.diagnostics import SHOWN, Collector, shown_cell
from .outpatient import KINDS
from .settling import CHOICES, DTYPES, OUTPUT, ClaimArrays, People, settle_arrays

MAX_YUAN = 1e8  # ASSUMPTION: no inpatient bill is near 100 million yuan
MAX_DAYS = 3660  # ASSUMPTION: a stay of ten years is beyond any bill
# the numeric column kinds: (largest value, whole numbers only, what a value must be, 中文)
NUMBERS = {
    "money": (MAX_YUAN, False, "an amount of yuan", "金额（元）"),
    "days": (MAX_DAYS, True, "a whole number of days", "整数天数"),
}
__all__ = ["COLUMNS", "NUMBERS", "SHOWN", "calculate", "check_claims", "check_header"]


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
    Column("scheme", "choice", None, CHOICES["scheme"], "uebmi (employees) or urrbmi"),
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
        CHOICES["special_group"],
        "a URRBMI member's special group",
    ),
    Column(
        "filing",
        "choice",
        "local",
        CHOICES["filing"],
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


def check_header(names: Sequence[object], display: str, problems: Collector) -> bool:
    """Errors at line 1 of ``display`` for missing and unknown columns in ``names``; whether
    the rows can be checked (every required column is there)."""
    missing = [c.name for c in COLUMNS if c.default is None and c.name not in names]
    if missing:
        problems.error(
            display,
            1,
            "",
            f"missing column(s) {', '.join(missing)}",
            "a claims file has columns " + ", ".join(c.name for c in COLUMNS) + "；缺少必填列",
        )
        return False
    unknown = [c for c in names if c not in {col.name for col in COLUMNS}]
    if unknown:
        problems.error(
            display,
            1,
            "",
            f"unknown column(s) {', '.join(map(str, unknown))}",
            "the columns are " + ", ".join(c.name for c in COLUMNS) + "；有未知的列",
        )
    return True


def check_claims(
    claims: pd.DataFrame,
    display: str,
    problems: Collector,
    lines: NDArray[np.int64] | None = None,
    horizon: tuple[dt.date, dt.date] | None = None,
    levels: Sequence[str] = LEVELS,
) -> pd.DataFrame:
    """The claims as typed columns (defaults filled); each bad cell an error at its line and
    column.

    Parameters
    ----------
    claims : the claims as text, the columns of :data:`COLUMNS` (optional ones may be left out)
    display : the file's name in messages
    problems : where the errors go
    lines : row i of ``claims`` is line ``lines[i]`` of ``display`` (default: i + 2, under a
        header)
    horizon : the first and last day a claim may be dated (None: any date)
    levels : the region's places of care (its declared hospital levels and out_of_area)

    Errors of one kind in one column are bounded by ``problems``: :data:`SHOWN` of them are
    given one by one, the rest counted (a file checked in chunks into one collector has
    :data:`SHOWN` of each kind in all). Only an empty cell (or one of spaces) of an optional
    column is its default; text such as ``nan`` or ``null`` is refused like any other.

    A row with a bad cell is left out of the checks across its columns (whose values would
    mean nothing), so each row's errors are the same however the file is cut into chunks.
    """
    if not check_header(list(claims.columns), display, problems):
        return claims
    out = pd.DataFrame(index=claims.index)
    lines = np.arange(len(claims)) + 2 if lines is None else lines
    broken = np.zeros(len(claims), dtype=bool)  # rows with a bad cell

    def bad(mask: NDArray[np.bool_], column: str, message: str, hint: str) -> None:
        found = int(np.count_nonzero(mask))
        if not found:
            return
        kind = message.replace("{value}", "…")
        shown = np.flatnonzero(mask)[: problems.room(display, column, kind)]
        for i in shown:
            value = shown_cell(str(claims[column].iloc[i]))
            problems.error(
                display, int(lines[i]), column, message.format(value=value), hint, kind=kind
            )
        problems.more(display, column, kind, found - len(shown))

    def bad_cell(mask: NDArray[np.bool_], column: str, message: str, hint: str) -> None:
        broken[mask] = True
        bad(mask, column, message, hint)

    for c in COLUMNS:
        # each distinct value handled once (a file repeats its codes, dates and people)
        if c.name in claims.columns:
            codes, values = _distinct(claims[c.name], c.default)
        else:
            codes, values = np.zeros(len(claims), dtype=np.intp), np.array([c.default], object)
        if c.kind == "text":
            bad_cell((values == "")[codes], c.name, "no person given", "未填写参保人标识")
            out[c.name] = pd.Series(values[codes], index=claims.index, dtype=object)
        elif c.kind == "date":
            parsed = pd.to_datetime(pd.Index(values), format="%Y-%m-%d", errors="coerce")
            bad_cell(
                parsed.isna()[codes],
                c.name,
                "'{value}' is not a date YYYY-MM-DD",
                "日期应写作YYYY-MM-DD",
            )
            out[c.name] = pd.Series(parsed.to_numpy()[codes], index=claims.index)
        elif c.kind == "choice":
            choices = tuple(levels) if c.name == "level" else c.choices
            bad_cell(
                ~pd.Index(values).isin(choices)[codes],
                c.name,
                "'{value}' is not one of " + ", ".join(choices),
                "取值不在允许范围内",
            )
            out[c.name] = pd.Series(values[codes], index=claims.index, dtype=object)
        elif c.kind == "flag":
            bad_cell(
                ~pd.Index(values).isin(("0", "1"))[codes],
                c.name,
                "'{value}' is not 0 or 1",
                "应为0或1",
            )
            out[c.name] = pd.Series((values == "1")[codes], index=claims.index)
        else:  # a number: an amount of yuan or a whole number of days
            largest, whole, what, zh = NUMBERS[c.kind]
            number = pd.to_numeric(pd.Index(values), errors="coerce")
            outside = number.isna() | (number < 0) | (number > largest)
            if whole:
                outside |= np.asarray(number % 1 != 0)
            bad_cell(
                np.asarray(outside)[codes],
                c.name,
                f"'{{value}}' is not {what} from 0 to {largest:g}",
                f"应为0至{largest:g}的{zh}",
            )
            out[c.name] = pd.Series(number.to_numpy()[codes], index=claims.index)
    fine = ~broken  # the rows whose cells are all good: their columns checked together
    if horizon is not None:  # the rules are known within the scenario's horizon only
        first, last = (pd.Timestamp(d) for d in horizon)
        outside = (out["date"] < first) | (out["date"] > last)
        bad(
            fine & outside.to_numpy(),
            "date",
            f"'{{value}}' lies outside the scenario's horizon {horizon[0]} to {horizon[1]}, "
            "whose rules are the ones known",
            "就诊日期超出情景的期限，该期限外的政策未知",
        )
    parts = out["non_insured"] + out["class_b"]
    bad(
        fine & (parts > out["total"] + 1e-9).to_numpy(),
        "total",
        "{value} is less than non_insured + class_b",
        "总费用不能小于目录外费用与乙类费用之和",
    )
    employee = out["scheme"] == "uebmi"
    bad(
        fine & (~employee & out["retired"]).to_numpy(),
        "retired",
        "only an employee (uebmi) is retired",
        "只有职工医保参保人才有退休",
    )
    bad(
        fine & (employee & (out["special_group"] != "none")).to_numpy(),
        "special_group",
        "special groups are URRBMI members'",
        "特殊人群只适用于城乡居民医保",
    )
    # an out-of-area stay given as local counts as filed (the model's case)
    away = out["level"] == "out_of_area"
    bad(
        fine & (~away & (out["filing"] != "local")).to_numpy(),
        "filing",
        "'{value}' is a filing status of an out_of_area stay; a local stay is local",
        "备案状态只用于异地就医，本地就医填local",
    )
    visit = out["kind"] != "inpatient"
    bad(
        fine & (visit & away).to_numpy(),
        "level",
        "outpatient visits are settled at a local level, not '{value}'",
        "门诊按本地医疗机构级别结算",
    )
    bad(
        fine & (visit & out["tcm"]).to_numpy(),
        "tcm",
        "the TCM bonus is an inpatient rule; an outpatient visit has tcm 0",
        "中医住院政策只适用于住院",
    )
    bad(
        fine & (visit & ((out["days"] > 0) | out["transfer"])).to_numpy(),
        "kind",
        "'{value}' is a visit: days and transfer describe an inpatient stay",
        "门诊不填住院天数和转院",
    )
    bad(
        fine & ((out["kind"] == "two_diseases") & employee).to_numpy(),
        "kind",
        "'{value}' (两病 drugs) is a cover of residents (urrbmi)",
        "两病用药保障只适用于城乡居民医保",
    )
    return out


class Rules(Protocol):
    """What the calculator needs of a scenario (:class:`fundsim.scenario.Scenario`)."""

    @property
    def tree(self) -> ParameterTree: ...

    @property
    def levels(self) -> tuple[str, ...]: ...


def _distinct(
    column: pd.Series, default: str | None
) -> tuple[NDArray[np.intp], NDArray[np.object_]]:
    """A column as codes into its distinct values as text without surrounding spaces (an
    empty cell the column's ``default`` when it has one: only an empty one, so that ``nan``
    or ``null`` is refused, not read as "not given")."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=False)
    text = [str(u).strip() for u in uniques]
    if default is not None:
        text = [default if t == "" else t for t in text]
    return codes, np.array(text, dtype=object)


def calculate(scenario: Rules, claims: pd.DataFrame, name: str = "claims") -> pd.DataFrame:
    """What each layer pays for ``claims`` under ``scenario``'s rules on each claim's date.

    ``claims`` has the columns of :data:`COLUMNS` (values as a CSV gives them: text or
    numbers; optional columns may be left out, and a missing value, NaN or None, of an
    optional column is its default); bad rows raise
    :class:`~fundsim.source.diagnostics.ScenarioError` naming the row's line (of a file
    ``name`` with a header) and the column. Returns the input columns plus :data:`OUTPUT`
    [yuan, two decimals].
    """
    problems = Collector()
    tree = scenario.tree
    given = claims.reset_index(drop=True)
    # a missing value of a table (NaN, None) is an empty cell: the default of its column
    text = given.astype(object).where(given.notna(), "").astype(str)
    typed = check_claims(
        text, name, problems, horizon=(tree.start, tree.end), levels=scenario.levels
    )
    problems.raise_if_errors()
    return settle_claims(tree, typed)


def compact(claims: pd.DataFrame, people: People) -> ClaimArrays:
    """Checked claims (:func:`check_claims`) as compact arrays; person codes from
    ``people`` (shared by the chunks of one file)."""
    columns: dict[str, NDArray[Any]] = {}
    for c in COLUMNS:
        values = claims[c.name]
        if c.kind == "text":
            columns[c.name] = people.codes(values.to_numpy(dtype=object))
        elif c.kind == "date":
            days = values.to_numpy().astype("datetime64[D]").astype(np.int64)
            columns[c.name] = days.astype(np.int32)
        elif c.kind == "choice":
            codes = pd.Categorical(values.to_numpy(dtype=object), categories=list(CHOICES[c.name]))
            columns[c.name] = np.asarray(codes.codes, dtype=np.int8)
        else:
            columns[c.name] = values.to_numpy().astype(DTYPES.get(c.name, np.int8))
    return ClaimArrays(**columns)


def whole_numbers(claims: pd.DataFrame) -> dict[str, bool]:
    """Whether each numeric column of checked claims holds whole numbers only (read as
    integers, so written back as integers, as the table of the whole file would be)."""
    return {c.name: claims[c.name].dtype.kind in "iu" for c in COLUMNS if c.kind in NUMBERS}


def settle_claims(tree: ParameterTree, claims: pd.DataFrame) -> pd.DataFrame:
    """What each layer pays for ``claims`` (checked: :func:`check_claims`) under ``tree``'s
    rules on each claim's date; the input columns plus :data:`OUTPUT` [yuan, two decimals]."""
    c = claims.reset_index(drop=True)
    paid = settle_arrays(tree, compact(c, People()))
    result = c.copy()
    result["date"] = c["date"].dt.strftime("%Y-%m-%d")
    for flag in (col.name for col in COLUMNS if col.kind == "flag"):
        result[flag] = result[flag].astype(int)
    scheme = np.asarray(pd.Categorical(c["scheme"], categories=list(CHOICES["scheme"])).codes)
    for name, values in paid.columns(scheme).items():
        result[name] = values
    return result


MAX_HEADER = 64 * 2**10  # a settled claims file's first line is under 1 kB


def is_settled_claims(path: Path) -> bool:
    """Whether ``path`` is a settled claims file fundsim wrote (``fundsim benefit --out``):
    its first line (after an optional UTF-8 byte order mark) is a header of input columns of
    :data:`COLUMNS` (the required ones among them, none twice) followed by :data:`OUTPUT` in
    order. A claims file (no output columns) is never taken for one. Reads the first line
    only; a link is never one."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with open(path, "rb") as handle:
            head = handle.read(MAX_HEADER)
    except OSError:
        return False
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) == MAX_HEADER:
        return False
    try:
        text = line.removeprefix(b"\xef\xbb\xbf").decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return False
    names = next(csv.reader([text]), [])
    inputs, outputs = names[: -len(OUTPUT)], names[-len(OUTPUT) :]
    known = {c.name for c in COLUMNS}
    required = {c.name for c in COLUMNS if c.default is None}
    return (
        tuple(outputs) == OUTPUT
        and set(inputs) <= known
        and required <= set(inputs)
        and len(set(inputs)) == len(inputs)
    )
