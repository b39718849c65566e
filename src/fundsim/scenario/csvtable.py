"""A region data table read from CSV text: its comment lines, its header and every cell checked.

The rules of the text, the same for every region data file:

* ``#`` lines are comments (the sources); blank lines are skipped;
* the header names each column of the file's kind once, and no other column (a note goes in
  a ``#`` line);
* a number is written with the ASCII digits 0-9, an optional sign, decimal point and
  exponent (``94``, ``0.0058``, ``1.2e-05``): no ``_``, no thousands separators, no full-width
  or other digits, which Python's ``float`` would read silently; ``nan`` and ``inf`` are not
  finite numbers; a whole-number column takes no decimal point;
* spaces around a cell are ignored (``30, male``).

Reading is bounded whatever the file holds (a 16 MiB file of garbage): the file is read as
one text and walked line by line, never split into a list; errors of one kind in one column
are shown :data:`~fundsim.source.diagnostics.SHOWN` at a time and the rest counted
(:class:`~fundsim.source.diagnostics.Collector`); a row repeating a key is an error as it is
read, so a long file of valid-looking rows fails as fast as one of garbage; and checking
stops after :data:`MAX_ERRORS` errors in a file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..source.diagnostics import Collector, shown_cell

MAX_BYTES = 16 * 2**20  # a region file is a few kB to a few hundred kB
MAX_ERRORS = 200  # errors in one file before its checking stops: the file is not a table
SHOWN_NAMES = 10  # of the columns named in a message about the header
TIMES = {2: "twice", 3: "three times"}
MAX_RECORD_LINES = 100  # lines of one quoted cell; a quote open longer is never closed
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
WHOLE = re.compile(r"[+-]?[0-9]+")
NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


def number_problem(text: str, what: str) -> str:
    """Why ``text`` is not ``what`` ("a number", "a whole number"), with how to write it."""
    shown = f"'{shown_cell(text)}' is not {what}"
    if any(c.isdigit() and not c.isascii() for c in text) or any(
        "\uff01" <= c <= "\uff5e" for c in text
    ):
        return f"{shown}: write it with the ASCII digits 0-9 (not full-width or other digits)"
    for mark, what_mark in (("_", "'_'"), (",", "thousands separators")):
        if mark in text and NUMBER.fullmatch(text.replace(mark, "")):
            return f"{shown}: write it without {what_mark} ({text.replace(mark, '')})"
    return shown


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "int", "float", "choice" or "text" (not empty)
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def parse(self, text: str) -> tuple[Any, str | None, str]:
        """``(value, None, "")`` for a valid cell, else ``(None, message, kind)``: the kind
        names the error the same way for every cell (errors of one kind are bounded)."""
        text = text.strip()
        if self.type == "text":
            return (text, None, "") if text else (None, f"no {self.name} given", "empty cell")
        if self.type == "choice":
            if text in self.choices:
                return text, None, ""
            return (
                None,
                f"'{shown_cell(text)}' is not one of {', '.join(self.choices)}",
                "not one of the choices",
            )
        if NOT_FINITE.fullmatch(text):
            return None, f"'{text}' is not a finite number", "not a finite number"
        whole = self.type == "int"
        if not (WHOLE if whole else NUMBER).fullmatch(text):
            what = "a whole number" if whole else "a number"
            return None, number_problem(text, what), f"not {what}"
        value: float = int(text) if whole else float(text)
        if value in (float("inf"), float("-inf")):  # 1e999
            return None, f"'{text}' is not a finite number", "not a finite number"
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            low = "-∞" if self.low is None else f"{self.low:g}"
            high = "∞" if self.high is None else f"{self.high:g}"
            return None, f"{value:g} is outside [{low}, {high}]", "outside the valid range"
        return value, None, ""


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


def records(text: str) -> Iterator[tuple[int, str]]:
    """The lines of ``text`` (ended by LF, CR LF or CR), numbered from 1; a row whose quoted
    cell holds a line break (as the csv library writes one) is one record over its lines,
    numbered by its first. Walks the text without splitting it into a list."""
    source = io.StringIO(text, newline="")
    pending: list[str] = []  # lines read ahead for a quote never closed, to give back

    def next_line() -> str:
        return pending.pop() if pending else source.readline()

    number = 0
    while line := next_line():
        number += 1
        parts = [line]
        if not line.lstrip().startswith("#"):
            quotes = line.count('"')
            while quotes % 2 and len(parts) < MAX_RECORD_LINES:  # a quote still open
                more = next_line()
                if not more:
                    break
                parts.append(more)
                quotes += more.count('"')
            if quotes % 2:  # never closed: the line alone, as it is
                pending.extend(reversed(parts[1:]))
                parts = parts[:1]
        yield number, "".join(parts).removesuffix("\n").removesuffix("\r")
        number += len(parts) - 1


def read_text(file: Path, name: str, kind: str, problems: Collector) -> str | None:
    """The text of a region data file of ``kind``; None (an error recorded) when it is not
    a regular file, is larger than :data:`MAX_BYTES`, cannot be read or is not UTF-8."""
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
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.error(name, 0, "", f"region data file ({kind}) is not UTF-8 CSV text")
        return None


def header_problems(
    cells: list[str],
    columns: tuple[Column, ...],
    kind: str,
    name: str,
    line: int,
    problems: Collector,
) -> tuple[int, bool]:
    """Errors at the header's ``line`` for a column missing, given twice or unknown: how
    many, and whether the rows can still be read (every column there, each once)."""
    expected = [c.name for c in columns]
    valid = f"a {kind} file has the columns {', '.join(expected)}"
    missing = [c for c in expected if c not in cells]
    if missing:
        separator = next((s for s in (";", "\t", "|") if len(cells) == 1 and s in cells[0]), "")
        if separator:
            valid = f"columns are separated by commas, not {separator!r}; {valid}"
        problems.error(name, line, "", f"missing column(s) {', '.join(missing)}", valid)
        return 1, False
    errors, readable = 0, True
    places: dict[str, list[int]] = {}
    for i, c in enumerate(cells):
        places.setdefault(c, []).append(i + 1)
    twice = [(c, at) for c, at in places.items() if len(at) > 1]
    for column, at in twice[:SHOWN_NAMES]:
        said = f"'{shown_cell(column)}'" if column else "an unnamed column"
        listed = ", ".join(map(str, at[:SHOWN_NAMES])) + (", …" if len(at) > SHOWN_NAMES else "")
        problems.error(
            name,
            line,
            "",
            f"column {said} appears {TIMES.get(len(at), f'{len(at)} times')} "
            f"(columns {listed}): which one holds the data is not clear",
            f"each column once; {valid}",
        )
        errors, readable = errors + 1, False
    unknown = [
        f"'{shown_cell(c)}'" if c else f"an unnamed column ({at[0]})"
        for c, at in places.items()
        if c not in expected
    ]
    if unknown:
        more = f", … ({len(unknown) - SHOWN_NAMES:,} more)" if len(unknown) > SHOWN_NAMES else ""
        problems.error(
            name,
            line,
            "",
            f"unknown column(s) {', '.join(unknown[:SHOWN_NAMES])}{more}",
            f"{valid}, and no other; a note goes in a '# …' comment line",
        )
        errors += 1
    return errors, readable


def read_rows(
    text: str,
    name: str,
    kind: str,
    columns: tuple[Column, ...],
    unique: tuple[str, ...],
    table: Table,
    problems: Collector,
) -> int:
    """Read the comment lines, the header and the rows of ``text`` into ``table``, checking
    every cell and that no two rows share the ``unique`` columns' values; returns the number
    of errors found (0: the table holds every row). ``table.columns`` stays empty when the
    file has no header its rows could be read by."""
    header: list[str] | None = None
    header_line = 0
    errors = 0
    seen: dict[tuple[Any, ...], int] = {}

    def error(line: int, path: str, message: str, kind_of_error: str, hint: str = "") -> None:
        nonlocal errors
        errors += 1
        problems.error(name, line, path, message, hint, kind=kind_of_error)

    for number, line in records(text):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            table.comments.append(line.lstrip()[1:].strip())
            continue
        if errors >= MAX_ERRORS:
            problems.error(
                name,
                number,
                "",
                f"checking stopped here after {MAX_ERRORS} errors: the rest of the file was not "
                f"read (错误超过{MAX_ERRORS}个，其余部分未检查)",
                "fix the errors shown and validate again",
            )
            return errors
        cells = next(csv.reader([line]), [])
        if header is None:
            header, header_line = [c.strip() for c in cells], number
            found, readable = header_problems(header, columns, kind, name, number, problems)
            errors += found
            if not readable:  # hopeless: its rows cannot be read by name
                return errors
            table.columns = {c.name: [] for c in columns}
            continue
        if len(cells) != len(header):
            error(number, "", f"{len(cells)} cells where the header has {len(header)}", "cells")
            continue
        row = dict(zip(header, cells, strict=True))
        parsed: dict[str, Any] = {}
        bad = False
        for column in columns:
            value, message, kind_of_error = column.parse(row[column.name])
            if message:
                error(number, column.name, message, kind_of_error)
                bad = True
            parsed[column.name] = value
        if bad:
            continue
        if unique:
            key = tuple(parsed[k] for k in unique)
            if key in seen:
                error(
                    number,
                    "",
                    f"duplicate row for {dict(zip(unique, key, strict=True))} "
                    f"(first on line {seen[key]})",
                    "duplicate row",
                )
                continue
            seen[key] = number
        for column in columns:
            table.columns[column.name].append(parsed[column.name])
        table.lines.append(number)
    if header is None:
        problems.error(name, 1, "", f"region data file ({kind}) has no header and no rows")
        return errors + 1
    if not table.lines and not errors:
        problems.error(name, header_line, "", f"region data file ({kind}) has a header but no rows")
        errors += 1
    return errors
