"""A new region as a planner makes one (issue 14): ``init`` from headline figures, then
``validate``, ``calibrate``, ``run`` and ``report``."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES = """\
region: {zh: 小城, en: Small Town}
data_year: 2022
source: "test figures"
insured: {uebmi_active: 4000, uebmi_retired: 1500, urrbmi: 14500}
balances: {uebmi_pool: 30000000, uebmi_personal: 12000000, urrbmi_pool: 9000000}
history:
  2021:
    uebmi: {income: 27000000, expenditure: 23000000}
    urrbmi_pool: {income: 13500000, expenditure: 12500000}
  2022:
    uebmi: {income: 29000000, expenditure: 25000000}
    urrbmi_pool: {income: 14500000, expenditure: 13800000}
average_wage: {2020: 90000, 2021: 95000, 2022: 100000}
horizon_years: 5
"""


def fundsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fundsim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_a_planner_makes_calibrates_runs_and_reports_a_new_region(tmp_path: Path) -> None:
    example = fundsim("init", "town", cwd=tmp_path)
    assert example.returncode == 0, example.stderr
    assert (tmp_path / "town-figures.yaml").is_file() and not (tmp_path / "town").exists()
    assert "fundsim init town --figures town-figures.yaml" in example.stdout
    (tmp_path / "figures.yaml").write_text(FIGURES, encoding="utf-8")
    made = fundsim("init", "town", "--figures", "figures.yaml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    town = tmp_path / "town"
    for name in (
        "scenarios/baseline.yaml",
        "scenarios/defaults.yaml",
        "calibration/population.csv",
        "calibration/history.csv",
        "fundsim.toml",
        "figures.yaml",
    ):
        assert (town / name).is_file(), name
    population = (town / "calibration" / "population.csv").read_text(encoding="utf-8")
    assert "DEFAULT (fundsim init)" in population and "test figures" in population
    again = fundsim("init", "town", "--figures", "figures.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "never replaces yours" in again.stderr
    steps = [
        ("validate", "--strict", "town/scenarios/baseline.yaml"),
        (
            "calibrate",
            "town/scenarios/baseline.yaml",
            "--out",
            "town/scenarios/calibrated.yaml",
            "--trial-runs",
            "4",
            "--check-runs",
            "8",
            "--workers",
            "1",
            "--quiet",
        ),
        (
            "run",
            "town/scenarios/calibrated.yaml",
            "--runs",
            "4",
            "--workers",
            "1",
            "--quiet",
            "--out",
            "town/outputs/calibrated",
        ),
        ("report", "town/outputs/calibrated"),
    ]
    for step in steps:
        result = fundsim(*step, cwd=tmp_path)
        assert result.returncode == 0, (step, result.stderr)
    assert "calibrated to ../calibration/history.csv 2021-2022" in (
        town / "scenarios" / "calibrated.yaml"
    ).read_text(encoding="utf-8")
    assert (town / "outputs" / "calibrated" / "report" / "zh" / "report.md").is_file()


def test_bad_figures_exit_2_with_their_line(tmp_path: Path) -> None:
    bad = FIGURES.replace("uebmi_pool: 30000000", "uebmi_pool: 3.0e7").replace(
        "urrbmi_pool: {income: 13500000", "urrbmi: {income: 13500000"
    )
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    result = fundsim("init", "town", "--figures", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.yaml:5:" in result.stderr and "as text" in result.stderr
    assert "bad.yaml:9:" in result.stderr and "urrbmi_pool" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "town").exists()


def test_the_region_template_is_nanchuans_baseline_as_written() -> None:
    """src/fundsim/templates/defaults.yaml is what scripts/make_region_template.py writes
    from scenarios/nanchuan/baseline.yaml: regenerate it after changing the baseline."""
    script = runpy.run_path(str(ROOT / "scripts" / "make_region_template.py"))
    shipped = (ROOT / "src" / "fundsim" / "templates" / "defaults.yaml").read_text(encoding="utf-8")
    assert script["template_text"]() == shipped
