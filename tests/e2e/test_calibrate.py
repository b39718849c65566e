"""``fundsim calibrate`` and ``fundsim backtest`` as a planner runs them (issue 14), on the toy
region with a history simulated from a known admission level."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fundsim.calibration.observe import series
from fundsim.ensemble.evaluate import simulate

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "statistical" / "toy" / "toy.yaml"


def fundsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUNDSIM_ALLOW_OUTSIDE": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "fundsim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("region")
    extends = os.path.relpath(TOY, folder)
    (folder / "truth.yaml").write_text(
        f"extends: {extends}\nname: truth\ntitle: {{zh: 真值, en: truth}}\n"
        "parameters:\n  care:\n    admission_level: {value: 1.3, source: the truth of the test}\n",
        encoding="utf-8",
    )
    os.environ["FUNDSIM_ALLOW_OUTSIDE"] = str(ROOT)
    try:
        runs = [simulate(folder / "truth.yaml", run=r, seed=99) for r in range(6)]
    finally:
        del os.environ["FUNDSIM_ALLOW_OUTSIDE"]
    lines = [
        "# A history simulated from admission level 1.3 (test).",
        "# source: fundsim, seed 99",
        "year,fund,indicator,value,source",
    ]
    for indicator in ("expenditure", "admissions"):
        mean = np.mean([series(ds, "urrbmi_pool", indicator).values[0] for ds in runs], axis=0)
        for year, value in zip(runs[0].year.values, mean, strict=True):
            lines.append(f"{year},urrbmi_pool,{indicator},{value:.2f},simulated")
    (folder / "history.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "fit.yaml").write_text(
        f"extends: {extends}\nname: fit\ntitle: {{zh: 拟合, en: fit}}\n"
        "calibrate:\n  runs: 4\n  parameters:\n    care.admission_level: {low: 0.8, high: 1.8}\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.slow
def test_calibrate_writes_a_scenario_that_validates_and_a_report(project: Path) -> None:
    result = fundsim(
        "calibrate",
        "fit.yaml",
        "--history",
        "history.csv",
        "--out",
        "fit-calibrated.yaml",
        "--check-runs",
        "20",
        "--workers",
        "1",
        "--quiet",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    assert "care.admission_level: 1 -> 1.3" in result.stdout  # the truth, to 2 figures
    written = (project / "fit-calibrated.yaml").read_text(encoding="utf-8")
    assert written.startswith("# Written by fundsim calibrate")
    assert "extends: fit.yaml" in written and "calibrated to history.csv" in written
    check = fundsim("validate", "--strict", "fit-calibrated.yaml", cwd=project)
    assert check.returncode == 0, check.stderr
    report = project / "fit-calibrated-report"
    assert {"calibration.csv", "calibration.md", ".fundsim"} <= {p.name for p in report.iterdir()}
    assert (report / "figures" / "urrbmi_pool_expenditure.png").is_file()
    rows = list(csv.DictReader((report / "calibration.csv").open(encoding="utf-8")))
    assert len(rows) == 10
    assert sum(r["inside_80"] == "True" for r in rows) >= 8
    assert "历史数据校准报告" in (report / "calibration.md").read_text(encoding="utf-8")
    again = fundsim(
        "calibrate",
        "fit.yaml",
        "--history",
        "history.csv",
        "--out",
        "fit-calibrated.yaml",
        "--workers",
        "1",
        "--quiet",
        cwd=project,
    )
    assert again.returncode == 2 and "--force" in again.stderr


def test_calibrate_without_a_calibrate_section_says_how(project: Path) -> None:
    out = project / "x.yaml"
    result = fundsim("calibrate", "scenarios/yangjiang/baseline.yaml", "--out", str(out), cwd=ROOT)
    assert result.returncode == 2
    assert "no calibrate: section" in result.stderr and "care.admission_level" in result.stderr
    assert not out.exists()


def test_a_bad_history_file_exits_2_with_its_line(project: Path) -> None:
    bad = project / "bad.csv"
    bad.write_text(
        "# source: test\nyear,fund,indicator,value,source\n2021,urrbmi_pool,income,1e8,x\n"
        "2022,urrbmi,income,1e8,x\n2023,urrbmi_pool,spending,1e8,x\n2024,urrbmi_pool,income,lots,x\n"
        "2025,urrbmi_pool,income,1e8,\n",
        encoding="utf-8",
    )
    result = fundsim(
        "calibrate", "fit.yaml", "--history", "bad.csv", "--out", "y.yaml", cwd=project
    )
    assert result.returncode == 2
    for line in (4, 5, 6, 7):
        assert f"bad.csv:{line}:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_backtest_scores_the_years_after_until(project: Path) -> None:
    result = fundsim(
        "backtest",
        "fit.yaml",
        "--history",
        "history.csv",
        "--until",
        "2023",
        "--runs",
        "20",
        "--out",
        "bt",
        "--workers",
        "1",
        "--quiet",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((project / "bt" / "backtest.csv").open(encoding="utf-8")))
    assert list(rows[0]) == [
        "year",
        "fund",
        "indicator",
        "actual",
        "p05",
        "p10",
        "p25",
        "p50",
        "p75",
        "p90",
        "p95",
    ]
    assert {int(r["year"]) for r in rows} == {2024, 2025}  # later years only score
    assert len(rows) == 4
    assert "MAPE" in result.stdout and "inside 50%" in result.stdout
    text = (project / "bt" / "backtest.md").read_text(encoding="utf-8")
    assert "回测" in text and "Backtest" in text
    assert (project / "bt" / "calibrated.yaml").is_file()


@pytest.mark.slow
def test_the_national_backtest_puts_most_actuals_inside_the_80_percent_band(tmp_path: Path) -> None:
    """The README's claim: scenarios/china/baseline.yaml calibrated up to 2020 puts the
    2021-2022 actuals of at least 6 of the 8 income and expenditure series-years (UEBMI and
    URRBMI) inside its 10-90% band, and no figure of 2021-2022 enters the fit."""
    out = tmp_path / "china"
    result = fundsim(
        "backtest",
        "scenarios/china/baseline.yaml",
        "--until",
        "2020",
        "--runs",
        "100",
        "--out",
        str(out),
        "--quiet",
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "2019-2020" in result.stderr  # the fitted years
    rows = list(csv.DictReader((out / "backtest.csv").open(encoding="utf-8")))
    assert {int(r["year"]) for r in rows} == {2021, 2022}
    money = [
        r
        for r in rows
        if r["fund"] in ("uebmi", "urrbmi_pool") and r["indicator"] in ("income", "expenditure")
    ]
    assert len(money) == 8
    inside = [float(r["p10"]) <= float(r["actual"]) <= float(r["p90"]) for r in money]
    assert sum(inside) >= 6, [(r["year"], r["fund"], r["indicator"]) for r in money]


# --- refused before any work (issue 28), in this process: quick ----------------------------


def cli(project: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    from fundsim.cli.main import main

    monkeypatch.chdir(project)
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))
    return main(list(args))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_fit_of_no_more_figures_than_parameters_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "two.yaml").write_text(
        (project / "fit.yaml").read_text(encoding="utf-8").replace("name: fit", "name: two")
        + "    care.cost_level: {low: 0.6, high: 1.6}\n",
        encoding="utf-8",
    )
    before = snapshot(project)
    code = cli(project, "calibrate", "two.yaml", "--history", "history.csv", "--until", "2021",
               "--out", "two-calibrated.yaml", "--quiet", monkeypatch=monkeypatch)  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert "2 history figure(s)" in err and "2 free parameters" in err
    assert "says nothing" in err and "--allow-underdetermined" in err and "at most 1" in err
    assert snapshot(project) == before  # nothing written, not even a report folder
    (project / "two.yaml").unlink()


def test_a_history_row_of_a_year_not_yet_ended_is_refused_at_its_line(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    next_year = dt.date.today().year + 1
    lines = (project / "history.csv").read_text(encoding="utf-8").splitlines()
    lines.append(f"{next_year},urrbmi_pool,expenditure,1e8,typed a year too far")
    (project / "future.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for command in (
        ["calibrate", "--out", "f.yaml"],
        ["backtest", "--until", "2023", "--out", "bt-f"],
    ):
        code = cli(project, command[0], "fit.yaml", "--history", "future.csv", *command[1:],
                   "--quiet", monkeypatch=monkeypatch)  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2, err
        assert f"future.csv:{len(lines)}: error: year: " in err and str(next_year) in err
        assert not (project / "f.yaml").exists() and not (project / "bt-f").exists()


def test_outputs_of_the_user_are_never_replaced_even_with_force(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = project / "mine"
    mine.mkdir(exist_ok=True)
    (mine / "notes.txt").write_text("my notes", encoding="utf-8")
    before = snapshot(project)
    refused = {
        ("calibrate", "fit.yaml", "--out", "truth.yaml"): "not a calibrated scenario fundsim wrote",
        ("calibrate", "fit.yaml", "--out", "fit-2.yaml", "--report", "mine"): (
            "not a calibration report folder fundsim wrote"
        ),
        ("calibrate", "fit.yaml", "--out", "history.csv"): "the input",
        ("backtest", "fit.yaml", "--until", "2023", "--out", "mine"): (
            "not a backtest folder fundsim wrote"
        ),
    }
    for args, message in refused.items():
        code = cli(project, *args, "--history", "history.csv", "--force", "--quiet",
                   monkeypatch=monkeypatch)  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and message in err, (args, err)
        assert snapshot(project) == before, args
