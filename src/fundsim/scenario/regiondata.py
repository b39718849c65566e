"""Region data files: population, mortality, admission rates and fertility as CSV.

Each file starts with ``#`` comment lines that say where its numbers come from (at least one
``# source:`` line is required), then a header row and data rows. Reading checks every cell
(:mod:`fundsim.scenario.csvtable`: the rules of the text, bounded on any file), that no two
rows describe the same thing, and the table as a whole, and reports problems with the file,
the line and the column.

Persons may be fractional: a population file holds estimates spread over ages by shares
(``fundsim init`` writes three decimals); the model draws whole persons from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..codes import SCHEMES, SEXES
from ..source.diagnostics import Collector
from .csvtable import MAX_BYTES, Column, Table, read_rows, read_text

__all__ = ["MAX_AGE", "MAX_BYTES", "OPTIONAL", "SPECS", "Column", "Table", "read_table"]

MAX_AGE = 110
# ASSUMPTION, beyond any region: the whole country taken as one region (a national check,
# calibration/national/) has at most about 12 million people in one age, sex and scheme;
# the largest pooling area, Chongqing (about 32 million insured), a few hundred thousand.
MAX_PERSONS_PER_CELL = 20_000_000


@dataclass(frozen=True)
class Spec:
    """A kind of region data file: its columns, the columns no two rows may share the
    values of, and the checks of the table as a whole."""

    kind: str
    description: str
    columns: tuple[Column, ...]
    check: Callable[[Table, Collector], None]
    unique: tuple[str, ...] = ()


def _check_population(table: Table, problems: Collector) -> None:
    if sum(table.columns["persons"]) <= 0:
        problems.error(
            table.display, table.lines[0], "", "the population is empty (persons sum to 0)"
        )


def _check_mortality(table: Table, problems: Collector) -> None:
    ages = table.columns["age"]
    expected = list(range(len(ages)))
    if ages != expected:
        bad = next(i for i, (a, e) in enumerate(zip(ages, expected, strict=True)) if a != e)
        problems.error(
            table.display,
            table.lines[bad],
            "age",
            f"ages must run 0, 1, 2, … without gaps; found {ages[bad]} where {expected[bad]} was expected",
        )
    if ages and ages[-1] < 100:
        problems.error(
            table.display,
            table.lines[-1],
            "age",
            f"the table must reach age 100 or more, it stops at {ages[-1]}",
        )


def _check_admissions(table: Table, problems: Collector) -> None:
    for scheme in SCHEMES:
        bands = sorted(
            (row["age_from"], row["age_to"], line)
            for line, row in zip(table.lines, table.rows(), strict=True)
            if row["scheme"] == scheme
        )
        if not bands:
            problems.error(
                table.display,
                table.lines[0] if table.lines else 1,
                "scheme",
                f"no rows for scheme {scheme}",
            )
            continue
        expected_from = 0
        for age_from, age_to, line in bands:
            if age_to < age_from:
                problems.error(
                    table.display, line, "age_to", f"age_to {age_to} is below age_from {age_from}"
                )
            if age_from != expected_from:
                problems.error(
                    table.display,
                    line,
                    "age_from",
                    f"age bands of {scheme} must follow each other without gap or overlap: "
                    f"band starts at {age_from}, expected {expected_from}",
                )
            expected_from = age_to + 1
        if expected_from <= MAX_AGE:
            problems.error(
                table.display,
                bands[-1][2],
                "age_to",
                f"age bands of {scheme} must reach {MAX_AGE}, they stop at {expected_from - 1}",
            )


def _check_fertility(table: Table, problems: Collector) -> None:
    total = sum(table.columns["share"])
    if abs(total - 1.0) > 1e-6:
        problems.error(
            table.display,
            table.lines[-1] if table.lines else 1,
            "share",
            f"shares sum to {total:.6g}, not 1",
        )


# history.csv (issue 14): the region's actual figures, as bulletins report them
HISTORY_FUNDS = (
    "uebmi",  # pool and personal accounts together, as bulletins report 职工医保基金
    "uebmi_pool",
    "uebmi_personal",
    "urrbmi_pool",
    "critical_illness",
    "medical_assistance",
    "total",  # basic insurance together
)
HISTORY_INDICATORS = (
    "income",
    "expenditure",
    "balance",  # at year end; the only one that may be negative
    "insured",
    "insured_active",
    "insured_retired",
    "admissions",
)
HISTORY_WHAT = {  # what a fund with members has, by indicator
    "income": "income",
    "expenditure": "spending",
    "insured": "insured persons",
    "insured_active": "active members",
    "insured_retired": "retired members",
    "admissions": "admissions",
}
HISTORY_FIRST_YEAR = 1990  # the schemes began in the 1990s (as the horizon's bounds)
# ASSUMPTION, beyond any region: a yearly figure of a whole country's funds is about 3e12
# yuan (shared/data/national_fund_2018_2022.csv: 30,922亿 of income in 2022), its balance 4.3e12
MAX_HISTORY_VALUE = 1e14


def _check_history(table: Table, problems: Collector) -> None:
    for line, row in zip(table.lines, table.rows(), strict=True):
        if row["indicator"] != "balance" and row["value"] < 0:
            problems.error(
                table.display,
                line,
                "value",
                f"{row['indicator']} of {row['value']:g} is negative",
                "only a year-end balance may be negative",
                kind="negative",
            )
        elif row["indicator"] != "balance" and row["value"] == 0:
            # a fund that exists has members, income and spending: a 0 is a figure not known
            # (and a relative error against it has no meaning)
            problems.error(
                table.display,
                line,
                "value",
                f"{row['fund']} {row['indicator']} of 0 in {row['year']}: a fund with members "
                f"has {HISTORY_WHAT[row['indicator']]}",
                "give the figure reported, or leave the row out when it is not known; only a "
                "year-end balance may be 0",
                kind="zero",
            )


SPECS: dict[str, Spec] = {
    "population": Spec(
        "population",
        "insured persons by single age, sex and scheme at the horizon start",
        (
            Column("age", "int", 0, MAX_AGE),
            Column("sex", "choice", choices=SEXES),
            Column("scheme", "choice", choices=SCHEMES),
            Column("persons", "float", 0, MAX_PERSONS_PER_CELL),
        ),
        _check_population,
        unique=("age", "sex", "scheme"),
    ),
    "mortality": Spec(
        "mortality",
        "probability of dying within the year by single age and sex",
        (
            Column("age", "int", 0, MAX_AGE),
            Column("qx_male", "float", 0, 1),
            Column("qx_female", "float", 0, 1),
        ),
        _check_mortality,
        unique=("age",),
    ),
    "admission_rates": Spec(
        "admission_rates",
        "inpatient admissions per member-year and relative cost per case, by age band and scheme",
        (
            Column("age_from", "int", 0, MAX_AGE),
            Column("age_to", "int", 0, MAX_AGE),
            Column("scheme", "choice", choices=SCHEMES),
            Column("rate", "float", 0, 5),
            Column("cost_factor", "float", 0, 20),
        ),
        _check_admissions,
        unique=("scheme", "age_from"),
    ),
    "fertility": Spec(
        "fertility",
        "share of a woman's lifetime births at each age (sums to 1)",
        (Column("age", "int", 10, 60), Column("share", "float", 0, 1)),
        _check_fertility,
        unique=("age",),
    ),
    "history": Spec(
        "history",
        "the region's actual fund figures by year (yuan and persons), each with its source",
        (
            Column("year", "int", HISTORY_FIRST_YEAR, 2100),
            Column("fund", "choice", choices=HISTORY_FUNDS),
            Column("indicator", "choice", choices=HISTORY_INDICATORS),
            Column("value", "float", -MAX_HISTORY_VALUE, MAX_HISTORY_VALUE),
            Column("source", "text"),
        ),
        _check_history,
        unique=("year", "fund", "indicator"),
    ),
}
OPTIONAL = ("history",)  # region data a region may leave out


def read_table(
    kind: str, file: Path, problems: Collector, display: str | None = None
) -> Table | None:
    """Read and check one region data file of ``kind``; None (with errors recorded) when invalid."""
    spec = SPECS[kind]
    name = display or str(file)
    text = read_text(file, name, kind, problems)
    if text is None:
        return None
    table = Table(file=file, display=name)
    errors = read_rows(text, name, kind, spec.columns, spec.unique, table, problems)
    if table.columns and not any(c.lower().startswith("source") for c in table.comments):
        problems.error(
            name,
            1,
            "",
            "no '# source: …' comment line",
            "every number from the world carries its source",
        )
        errors += 1
    if errors:
        return None
    before = len(problems.items)
    spec.check(table, problems)
    new = problems.items[before:]
    return None if any(d.severity == "error" for d in new) else table
