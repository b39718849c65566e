"""Region data files: population, mortality, admission rates and fertility as CSV.

Each file starts with ``#`` comment lines that say where its numbers come from (at least one
``# source:`` line is required), then a header row and data rows. Reading checks every cell
and the table as a whole, and reports problems with the file, the line and the column.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..codes import SCHEMES, SEXES
from ..source.diagnostics import Collector

MAX_AGE = 110
# ASSUMPTION, beyond any region: the whole country taken as one region (a national check,
# calibration/national/) has at most about 12 million people in one age, sex and scheme;
# the largest pooling area, Chongqing (about 32 million insured), a few hundred thousand.
MAX_PERSONS_PER_CELL = 20_000_000
MAX_BYTES = 16 * 2**20  # a region file is a few kB to a few hundred kB


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "int", "float", "choice" or "text" (not empty)
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def parse(self, text: str) -> tuple[Any, str | None]:
        text = text.strip()
        if self.type == "text":
            return (text, None) if text else (None, f"no {self.name} given")
        if self.type == "choice":
            if text in self.choices:
                return text, None
            return None, f"'{text}' is not one of {', '.join(self.choices)}"
        try:
            value: float = int(text) if self.type == "int" else float(text)
        except ValueError:
            what = "a whole number" if self.type == "int" else "a number"
            return None, f"'{text}' is not {what}"
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"'{text}' is not a finite number"
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            low = "-∞" if self.low is None else f"{self.low:g}"
            high = "∞" if self.high is None else f"{self.high:g}"
            return None, f"{value:g} is outside [{low}, {high}]"
        return value, None


@dataclass
class Table:
    """A region data table: columns by name, the line of each row, and its comment lines."""

    file: Path
    display: str
    columns: dict[str, list[Any]] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        names = list(self.columns)
        return [
            dict(zip(names, values, strict=True))
            for values in zip(*self.columns.values(), strict=True)
        ]


@dataclass(frozen=True)
class Spec:
    kind: str
    description: str
    columns: tuple[Column, ...]
    check: Callable[[Table, Collector], None]


def _unique(table: Table, problems: Collector, keys: tuple[str, ...]) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for line, row in zip(table.lines, table.rows(), strict=True):
        key = tuple(row[k] for k in keys)
        if key in seen:
            problems.error(
                table.display,
                line,
                "",
                f"duplicate row for {dict(zip(keys, key, strict=True))} (first on line {seen[key]})",
            )
        else:
            seen[key] = line


def _check_population(table: Table, problems: Collector) -> None:
    _unique(table, problems, ("age", "sex", "scheme"))
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
    _unique(table, problems, ("age",))
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
HISTORY_FIRST_YEAR = 1990  # the schemes began in the 1990s (as the horizon's bounds)
# ASSUMPTION, beyond any region: a yearly figure of a whole country's funds is about 3e12
# yuan (shared/data/national_fund_2018_2022.csv: 30,922亿 of income in 2022), its balance 4.3e12
MAX_HISTORY_VALUE = 1e14


def _check_history(table: Table, problems: Collector) -> None:
    _unique(table, problems, ("year", "fund", "indicator"))
    for line, row in zip(table.lines, table.rows(), strict=True):
        if row["indicator"] != "balance" and row["value"] < 0:
            problems.error(
                table.display,
                line,
                "value",
                f"{row['indicator']} of {row['value']:g} is negative",
                "only a year-end balance may be negative",
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
    ),
    "fertility": Spec(
        "fertility",
        "share of a woman's lifetime births at each age (sums to 1)",
        (Column("age", "int", 10, 60), Column("share", "float", 0, 1)),
        _check_fertility,
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
    ),
}
OPTIONAL = ("history",)  # region data a region may leave out


def _records(text: str) -> Iterator[tuple[int, str]]:
    """The lines of ``text``, numbered from 1; a row whose quoted cell holds a line break (as
    the csv library writes one) is one record over its lines, numbered by its first."""
    plain, ends = text.splitlines(), text.splitlines(keepends=True)
    i = 0
    while i < len(plain):
        j = i
        if not plain[i].lstrip().startswith("#"):
            quotes = plain[i].count('"')
            while quotes % 2 and j + 1 < len(plain):  # a quote still open: the next line too
                j += 1
                quotes += plain[j].count('"')
            if quotes % 2:  # never closed: the line alone, as it is
                j = i
        yield i + 1, "".join(ends[i:j]) + plain[j]
        i = j + 1


def read_table(
    kind: str, file: Path, problems: Collector, display: str | None = None
) -> Table | None:
    """Read and check one region data file of ``kind``; None (with errors recorded) when invalid."""
    spec = SPECS[kind]
    name = display or str(file)
    try:
        if file.exists() and not file.is_file():
            problems.error(name, 0, "", f"region data file ({kind}) is not a regular file")
            return None
        if file.stat().st_size > MAX_BYTES:
            problems.error(
                name,
                0,
                "",
                f"region data file ({kind}) is larger than {MAX_BYTES // 2**20} MiB",
                f"a {kind} file has a row per {'age, sex and scheme' if kind == 'population' else 'age'}",
            )
            return None
        raw = file.read_bytes()
    except FileNotFoundError:
        problems.error(name, 0, "", f"region data file ({kind}) not found")
        return None
    except OSError as exc:
        problems.error(name, 0, "", f"region data file ({kind}) cannot be read: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.error(name, 0, "", f"region data file ({kind}) is not UTF-8 CSV text")
        return None
    table = Table(file=file, display=name)
    header: list[str] | None = None
    header_line = 0
    before = len(problems.items)
    for number, line in _records(text):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            table.comments.append(line.lstrip()[1:].strip())
            continue
        cells = next(csv.reader([line]))
        if header is None:
            header, header_line = [c.strip() for c in cells], number
            expected = [c.name for c in spec.columns]
            missing = [c for c in expected if c not in header]
            if missing:
                problems.error(
                    name,
                    number,
                    "",
                    f"missing column(s) {', '.join(missing)}",
                    f"a {kind} file has columns {', '.join(expected)}",
                )
                return None
            table.columns = {c.name: [] for c in spec.columns}
            continue
        if len(cells) != len(header):
            problems.error(
                name, number, "", f"{len(cells)} cells where the header has {len(header)}"
            )
            continue
        row = dict(zip(header, cells, strict=True))
        parsed: dict[str, Any] = {}
        for column in spec.columns:
            value, message = column.parse(row[column.name])
            if message:
                problems.error(name, number, column.name, message)
            parsed[column.name] = value
        if len(problems.items) == before:
            for column in spec.columns:
                table.columns[column.name].append(parsed[column.name])
            table.lines.append(number)
    if header is None:
        problems.error(name, 1, "", f"region data file ({kind}) has no header and no rows")
        return None
    if not table.lines and len(problems.items) == before:
        problems.error(name, header_line, "", f"region data file ({kind}) has a header but no rows")
    if not any(c.lower().startswith("source") for c in table.comments):
        problems.error(
            name,
            1,
            "",
            "no '# source: …' comment line",
            "every number from the world carries its source",
        )
    if len(problems.items) > before:
        return None
    spec.check(table, problems)
    return table if len(problems.items) == before else None
