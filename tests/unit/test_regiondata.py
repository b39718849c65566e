from __future__ import annotations

import csv
import subprocess
import sys
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
