from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fundsim.scenario.regiondata import read_table
from fundsim.source.diagnostics import Collector

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("region", ["nanchuan", "yangjiang"])
def test_shipped_region_data_is_valid_and_matches_the_seeds(region: str) -> None:
    problems = Collector()
    tables = {
        k: read_table(k, ROOT / "calibration" / region / f"{k}.csv", problems)
        for k in ("population", "mortality", "admission_rates", "fertility")
    }
    assert not problems.items
    population = tables["population"]
    totals: dict[str, float] = {}
    for row in population.rows():
        totals[row["scheme"]] = totals.get(row["scheme"], 0) + row["persons"]
    expected = {"nanchuan": (82_000, 536_000), "yangjiang": (303_000, 2_412_900)}[region]
    assert totals["uebmi_active"] + totals["uebmi_retired"] == expected[0]  # seed 000 / seed 003
    assert totals["urrbmi"] == expected[1]
    assert totals["uebmi_active"] / totals["uebmi_retired"] == pytest.approx(2.82, abs=0.01)


def test_admission_bands_with_a_gap_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "a.csv"
    rows = ["# source: test", "age_from,age_to,scheme,rate,cost_factor"]
    for scheme in ("uebmi_active", "uebmi_retired", "urrbmi"):
        rows += [f"0,40,{scheme},0.1,1", f"45,110,{scheme},0.2,1"]
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    problems = Collector()
    assert read_table("admission_rates", file, problems) is None
    assert any(
        "band starts at 45, expected 41" in d.message and d.line == 4 for d in problems.items
    )


def test_mortality_must_be_contiguous(tmp_path: Path) -> None:
    file = tmp_path / "m.csv"
    file.write_text(
        "# source: test\nage,qx_male,qx_female\n0,0.01,0.01\n2,0.01,0.01\n", encoding="utf-8"
    )
    problems = Collector()
    assert read_table("mortality", file, problems) is None
    assert problems.items[0].line == 4 and "without gaps" in problems.items[0].message


def test_wrong_header_names_the_columns(tmp_path: Path) -> None:
    file = tmp_path / "f.csv"
    file.write_text("# source: test\nage,fraction\n20,1\n", encoding="utf-8")
    problems = Collector()
    assert read_table("fertility", file, problems) is None
    assert "missing column(s) share" in problems.items[0].message and problems.items[0].line == 2


def test_region_data_rebuilds_identically(tmp_path: Path) -> None:
    """The committed CSVs are exactly what scripts/derive_region_data.py makes from data/ (the
    repository's copy of the public data)."""
    before = {p: p.read_bytes() for p in (ROOT / "calibration").glob("*/*.csv")}
    try:
        subprocess.run(
            [sys.executable, "scripts/derive_region_data.py", "--shared", str(ROOT)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        after = {p: p.read_bytes() for p in (ROOT / "calibration").glob("*/*.csv")}
        changed = [str(p.relative_to(ROOT)) for p in before if before[p] != after.get(p)]
        assert not changed, f"derived data drifted from the committed files: {changed}"
    finally:
        for path, content in before.items():
            path.write_bytes(content)


def test_population_file_rows_are_whole_persons() -> None:
    with (ROOT / "calibration" / "nanchuan" / "population.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    assert all(float(r["persons"]).is_integer() for r in rows)


# --- history.csv (issue 14, item 1) --------------------------------------------------------

HISTORY_HEAD = "# source: test\nyear,fund,indicator,value,source\n"


def test_shipped_history_is_valid_and_adds_up() -> None:
    problems = Collector()
    table = read_table("history", ROOT / "calibration" / "nanchuan" / "history.csv", problems)
    assert not problems.items and table is not None
    value = {(r["year"], r["fund"], r["indicator"]): r["value"] for r in table.rows()}
    # seed 000: the schemes' 2020 incomes (3.46 + 4.5亿) against the total it reports (7.98亿)
    schemes = value[(2020, "uebmi", "income")] + value[(2020, "urrbmi_pool", "income")]
    assert schemes == pytest.approx(value[(2020, "total", "income")], rel=0.01)
    assert (
        value[(2020, "uebmi", "insured")] + value[(2020, "urrbmi_pool", "insured")]
        == (value[(2020, "total", "insured")])
    )
    assert all(r["source"].startswith("seed 000") for r in table.rows())
    problems = Collector()
    assert read_table("history", ROOT / "calibration" / "yangjiang" / "history.csv", problems)
    assert not problems.items


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("2020,uebmi_fund,income,1e8,seed", "fund", "'uebmi_fund' is not one of uebmi"),
        ("2020,uebmi,revenue,1e8,seed", "indicator", "'revenue' is not one of income"),
        ("1980,uebmi,income,1e8,seed", "year", "1980 is outside [1990, 2100]"),
        ("2020,uebmi,income,3.46亿,seed", "value", "'3.46亿' is not a number"),
        ("2020,uebmi,income,1e8,", "source", "no source given"),
        ("2020,uebmi,income,-1e8,seed", "value", "income of -1e+08 is negative"),
    ],
)
def test_a_bad_history_row_is_a_located_error(
    tmp_path: Path, row: str, column: str, message: str
) -> None:
    file = tmp_path / "history.csv"
    file.write_text(HISTORY_HEAD + "2019,uebmi,income,3.16e8,seed\n" + row + "\n", encoding="utf-8")
    problems = Collector()
    assert read_table("history", file, problems) is None
    (d,) = problems.items
    assert (d.line, d.path) == (4, column) and message in d.message, d


def test_a_history_figure_given_twice_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "history.csv"
    file.write_text(
        HISTORY_HEAD + "2020,uebmi,income,1e8,a\n2020,uebmi,income,2e8,b\n", encoding="utf-8"
    )
    problems = Collector()
    assert read_table("history", file, problems) is None
    assert problems.items[0].line == 4 and "first on line 3" in problems.items[0].message


def test_validate_exits_2_on_a_bad_history_file_naming_file_and_line(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scenarios").mkdir(parents=True)
    region = ROOT / "calibration" / "nanchuan"
    (project / "history.csv").write_text(
        HISTORY_HEAD + "2020,uebmi,spending,1e8,seed\n", encoding="utf-8"
    )
    data = "".join(
        f"    {k}: {region / (k + '.csv')}\n"
        for k in ("population", "mortality", "admission_rates", "fertility")
    )
    (project / "scenarios" / "s.yaml").write_text(
        f"extends: {ROOT / 'scenarios' / 'nanchuan' / 'baseline.yaml'}\nname: s\n"
        "title: {zh: 测试, en: test}\nregion:\n  name: {zh: 测试, en: test}\n  data:\n"
        + data
        + "    history: ../history.csv\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fundsim",
            "validate",
            "--allow-outside",
            str(ROOT),
            "scenarios/s.yaml",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "history.csv:3: error: indicator: 'spending' is not one of" in result.stdout + result.stderr
    )
    assert "Traceback" not in result.stderr


# --- the rules of the text (issue 28) ------------------------------------------------------

POPULATION_HEAD = "# source: test\nage,sex,scheme,persons\n"


def _population(tmp_path: Path, text: str) -> tuple[object, Collector]:
    file = tmp_path / "population.csv"
    file.write_text(text, encoding="utf-8")
    problems = Collector()
    return read_table("population", file, problems), problems


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("100_000", "'100_000' is not a number: write it without '_'"),
        ("１００", "'１００' is not a number: write it with the ASCII digits 0-9"),
        ("١٠٠", "'١٠٠' is not a number: write it with the ASCII digits 0-9"),
        ('"1,000"', "'1,000' is not a number: write it without thousands separators"),
        ("0x10", "'0x10' is not a number"),
        ("nan", "'nan' is not a finite number"),
        ("1e999", "'1e999' is not a finite number"),
    ],
)
def test_a_number_is_written_in_ascii_digits(tmp_path: Path, cell: str, message: str) -> None:
    table, problems = _population(tmp_path, POPULATION_HEAD + f"30,male,urrbmi,{cell}\n")
    assert table is None
    (d,) = problems.items
    assert (d.line, d.path) == (3, "persons") and message in d.message, d


def test_fractional_persons_are_estimates_and_are_read(tmp_path: Path) -> None:
    # fundsim init spreads a region's insured over ages by shares, to three decimals
    table, problems = _population(tmp_path, POPULATION_HEAD + "30,male,urrbmi,422.464\n")
    assert table is not None and not problems.items


def test_a_column_named_twice_is_refused_at_the_header(tmp_path: Path) -> None:
    text = "# source: test\nage,sex,scheme,persons,persons\n30,male,urrbmi,5,6\n"
    table, problems = _population(tmp_path, text)
    assert table is None
    (d,) = problems.items
    assert d.line == 2 and "column 'persons' appears twice (columns 4, 5)" in d.message
    assert "age, sex, scheme, persons" in d.hint


def test_an_unknown_column_is_refused_naming_the_valid_ones(tmp_path: Path) -> None:
    text = "# source: test\nage,sex,scheme,persons,note\n30,male,urrbmi,5,x\n31,male,urrbmi,y,z\n"
    table, problems = _population(tmp_path, text)
    assert table is None
    header, cell = sorted(problems.items, key=lambda d: d.line)
    assert header.line == 2 and "unknown column(s) 'note'" in header.message
    assert "age, sex, scheme, persons, and no other" in header.hint
    assert (cell.line, cell.path) == (4, "persons")  # the rows are still checked


def test_a_file_of_garbage_is_refused_quickly_with_few_lines(tmp_path: Path) -> None:
    file = tmp_path / "population.csv"
    file.write_bytes(b"# source: t\nage,sex,scheme,persons\n" + b"a,b,c,d\n" * 2_000_000)
    problems = Collector()
    started = time.perf_counter()
    assert read_table("population", file, problems) is None
    assert time.perf_counter() - started < 5
    assert len(problems.items) < 100
    summaries = [d for d in problems.items if d.summary]
    assert {d.path for d in summaries} == {"age", "sex", "scheme", "persons"}
    assert all("more such errors" in d.message for d in summaries)
    assert any("checking stopped here after 200 errors" in d.message for d in problems.items)
    shown = [d for d in problems.items if d.path == "age" and not d.summary]
    assert len(shown) == 20 and shown[0].line == 3


def test_rows_repeating_a_key_are_refused_as_they_are_read(tmp_path: Path) -> None:
    file = tmp_path / "population.csv"
    file.write_bytes(b"# source: t\nage,sex,scheme,persons\n" + b"30,male,urrbmi,5\n" * 700_000)
    problems = Collector()
    started = time.perf_counter()
    assert read_table("population", file, problems) is None
    assert time.perf_counter() - started < 5
    first = problems.items[0]
    assert (
        first.line == 4 and "duplicate row" in first.message and "first on line 3" in first.message
    )
    assert len(problems.items) < 30


@pytest.mark.parametrize("indicator", ["income", "expenditure", "insured", "insured_active"])
def test_a_history_figure_of_zero_is_refused_but_a_balance_may_be_zero(
    tmp_path: Path, indicator: str
) -> None:
    file = tmp_path / "history.csv"
    file.write_text(
        HISTORY_HEAD + "2020,uebmi_pool,balance,0,seed\n" + f"2020,uebmi,{indicator},0,seed\n",
        encoding="utf-8",
    )
    problems = Collector()
    assert read_table("history", file, problems) is None
    (d,) = problems.items
    assert (d.line, d.path) == (4, "value") and f"uebmi {indicator} of 0 in 2020" in d.message
