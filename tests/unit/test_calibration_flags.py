"""A calibration that says nothing is said to say nothing (issue 28): a fit of no more
figures than parameters, or a parameter its history does not narrow, is flagged on the
console, in calibration.md and in the calibrated scenario (which still loads); an identified
fit is flagged nowhere. The fits are made up: what is tested is what is written of them."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

from fundsim.calibration import report
from fundsim.calibration.fit import Fit
from fundsim.calibration.identify import identify
from fundsim.calibration.observe import Point
from fundsim.calibration.run import Plan, bounds_of, scenario_text, write_scenario
from fundsim.cli.history import _print_fit
from fundsim.places import YAML_MARK
from fundsim.scenario.loader import load_scenario
from fundsim.scenario.regiondata import Table

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "statistical" / "toy" / "toy.yaml"
LEVELS = {"care.admission_level": (0.8, 1.8), "care.cost_level": (0.6, 1.6)}


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def plan_of(tmp_path: Path, n: int) -> Plan:
    scenario_file = tmp_path / "fit.yaml"
    bounds = "".join(f"    {p}: {{low: {lo}, high: {hi}}}\n" for p, (lo, hi) in LEVELS.items())
    scenario_file.write_text(
        f"extends: {os.path.relpath(TOY, tmp_path)}\nname: fit\ntitle: {{zh: 拟合, en: fit}}\n"
        f"calibrate:\n  runs: 4\n  parameters:\n{bounds}",
        encoding="utf-8",
    )
    points = [
        Point(2021 + i // 2, "urrbmi_pool", ("expenditure", "admissions")[i % 2], 1e6, "t", 3 + i)
        for i in range(n)
    ]
    history = tmp_path / "history.csv"
    scenario = load_scenario(scenario_file)
    return Plan(scenario, history, Table(history, "history.csv"), points, [], [], 2021, 2025, [])


def fit_of(chosen: Plan, rms: float, spread: dict[str, float]) -> Fit:
    n = len(chosen.fitted)
    values = {"care.admission_level": 1.2, "care.cost_level": 0.9}
    return Fit(
        values=values,
        sd={p: min(s, 0.28) for p, s in spread.items()},
        start={p: 1.0 for p in values},
        points=chosen.fitted,
        mean=np.full(n, 1e6),
        relative=np.full(n, rms),
        rms=rms,
        s=rms,
        trials=9,
        runs=4,
        spread=spread,
    )


def written(chosen: Plan, result: Fit, tmp_path: Path) -> tuple[str, str, str]:
    """The calibrated scenario (checked to load), calibration.md and the console's words."""
    scenario_file = tmp_path / "fit-calibrated.yaml"
    write_scenario(scenario_file, scenario_text(chosen, result, scenario_file), [])
    folder = tmp_path / "report"
    folder.mkdir()
    report.write_calibration(folder, chosen, result, [], scenario_file)
    console = io.StringIO()
    _print_fit(result, identify(result, bounds_of(chosen)), console)
    return (
        scenario_file.read_text(encoding="utf-8"),
        (folder / "calibration.md").read_text(encoding="utf-8"),
        console.getvalue(),
    )


def test_no_more_figures_than_parameters_is_no_fit_and_says_so(tmp_path: Path) -> None:
    chosen = plan_of(tmp_path, 2)
    result = fit_of(chosen, 0.001, {p: 0.01 for p in LEVELS})  # "a 0.1% fit", tight sds
    scenario, page, console = written(chosen, result, tmp_path)
    says = "exact fit of 2 figures by 2 parameters: says nothing"
    lines = scenario.splitlines()
    assert lines[0].startswith(YAML_MARK)
    assert any(line.startswith("# WARNING") and "NOT A FIT" in line for line in lines[:6])
    assert says in scenario and "参数不少于数据" in scenario
    for text in (scenario, page, console):
        assert "RMS 0.1%" not in text and "均方根 0.1%" not in text and "均方根0.1%" not in text
    assert says in console and "WARNING" in console
    assert "⚠ 警告" in page and "⚠ Warning" in page and says in page
    # the history pins nothing: every parameter is drawn over its whole bounds
    loaded = load_scenario(tmp_path / "fit-calibrated.yaml")
    for path, (low, high) in LEVELS.items():
        drawn = loaded.uncertainty[path].distribution
        assert drawn.distribution == "uniform", path
        assert (drawn.low, drawn.high) == (low, high)


def test_a_parameter_its_history_does_not_narrow_is_flagged(tmp_path: Path) -> None:
    chosen = plan_of(tmp_path, 10)
    # admission level: 1.2 ± 1.645 × 0.7 covers 0.8-1.8; cost level: ± 0.03, pinned
    result = fit_of(chosen, 0.02, {"care.admission_level": 0.7, "care.cost_level": 0.03})
    scenario, page, console = written(chosen, result, tmp_path)
    flagged = [line for line in console.splitlines() if "not identified" in line]
    assert len(flagged) == 1 and "care.admission_level" in flagged[0]
    assert "residual RMS 2.0%" in console  # with more figures than parameters, a fit
    assert "care.admission_level: NOT IDENTIFIED: its 90% interval" in page
    assert "care.cost_level: NOT IDENTIFIED" not in page
    assert "# WARNING" in scenario and "care.admission_level: NOT IDENTIFIED" in scenario


def test_an_identified_fit_is_flagged_nowhere(tmp_path: Path) -> None:
    chosen = plan_of(tmp_path, 10)
    result = fit_of(chosen, 0.02, {"care.admission_level": 0.05, "care.cost_level": 0.03})
    scenario, page, console = written(chosen, result, tmp_path)
    for text in (scenario, page, console):
        assert "WARNING" not in text and "Warning" not in text and "NOT" not in text
    assert "residual RMS 2.0% over 10 points, 2 parameters" in scenario
    assert "残差均方根 2.0%" in page and "residual RMS 2.0%" in console
    loaded = load_scenario(tmp_path / "fit-calibrated.yaml")
    assert loaded.uncertainty["care.admission_level"].distribution.distribution == "triangular"


def test_a_balance_series_of_zeros_is_not_fitted(tmp_path: Path) -> None:
    """A relative error against 0 has no size (calibrate once printed an RMS of 4e10 %): a
    balance series that is 0 throughout is left out and said; other zeros are refused by the
    history file's checks."""
    from fundsim.calibration.run import plan

    scenario_file = tmp_path / "fit.yaml"
    scenario_file.write_text(
        f"extends: {os.path.relpath(TOY, tmp_path)}\nname: fit\ntitle: {{zh: 拟合, en: fit}}\n"
        "calibrate:\n  parameters:\n    care.admission_level: {low: 0.8, high: 1.8}\n",
        encoding="utf-8",
    )
    history = tmp_path / "history.csv"
    history.write_text(
        "# source: test\nyear,fund,indicator,value,source\n"
        "2021,urrbmi_pool,expenditure,1e6,t\n2022,urrbmi_pool,expenditure,1.1e6,t\n"
        "2021,urrbmi_pool,balance,0,t\n2022,urrbmi_pool,balance,0,t\n"
        "2021,uebmi_pool,balance,0,t\n2022,uebmi_pool,balance,5e6,t\n",
        encoding="utf-8",
    )
    chosen = plan(scenario_file, history, 2022)
    assert [(p.fund, p.indicator) for p in chosen.fitted] == [
        ("urrbmi_pool", "expenditure"),
        ("urrbmi_pool", "expenditure"),
        ("uebmi_pool", "balance"),  # one 0 in a series with a size: weighed by its size
        ("uebmi_pool", "balance"),
    ]
    assert [p.line for p, _ in chosen.skipped] == [5, 6]
    assert all("every urrbmi_pool balance of the history is 0" in why for _, why in chosen.skipped)
    assert any("history.csv:5: urrbmi_pool balance 2021 not compared" in w for w in chosen.warnings)
