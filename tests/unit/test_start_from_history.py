"""Forecasts start from the last actuals (issue 29): a window over the history opens with the
history's own stocks of the year before it (never a later year's), a balance not printed is
projected back with the fund's identity, a backtest's forecast opens with the actual balances
of its last fitted year to the yuan, and a scenario whose data year lies after --until is
refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from fundsim.scenario.regiondata import Table, read_table
from fundsim.scenario.start import Stocks
from fundsim.source.diagnostics import Collector, InputError

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "statistical" / "toy" / "toy.yaml"
NOW = {"uebmi_pool": 1000.0, "uebmi_personal": 500.0, "urrbmi_pool": 300.0}


def _history(folder: Path, rows: list[tuple[int, str, str, float]]) -> Table:
    text = "# source: test\nyear,fund,indicator,value,source\n" + "".join(
        f"{y},{f},{i},{v},test\n" for y, f, i, v in rows
    )
    path = folder / "history.csv"
    path.write_text(text, encoding="utf-8")
    problems = Collector()
    table = read_table("history", path, problems)
    assert table is not None and not problems.has_errors, problems.items
    return table


def _population() -> Table:
    problems = Collector()
    table = read_table("population", TOY.parent / "population.csv", problems)
    assert table is not None
    return table


def test_a_balance_the_history_prints_is_taken_as_printed(tmp_path: Path) -> None:
    history = _history(
        tmp_path,
        [
            (2018, "uebmi_pool", "balance", 800.0),
            (2018, "uebmi_personal", "balance", 450.0),
            (2018, "urrbmi_pool", "balance", 250.0),
        ],
    )
    stocks = Stocks.find(history, _population(), 2018, 2020, NOW)
    assert {a: v for a, (v, _) in stocks.opening.items()} == {
        "uebmi_pool": 800.0,
        "uebmi_personal": 450.0,
        "urrbmi_pool": 250.0,
    }
    assert stocks.derived == {} and stocks.missing_balances == []


def test_a_balance_not_printed_is_projected_back_with_the_funds_identity(tmp_path: Path) -> None:
    """closing = opening + income − expenditure, run backwards from the data year's balance:
    B(2018) = B(2020) − (income − spending of 2019 and 2020)."""
    history = _history(
        tmp_path,
        [
            (2019, "urrbmi_pool", "income", 120.0),
            (2019, "urrbmi_pool", "expenditure", 100.0),
            (2020, "urrbmi_pool", "income", 130.0),
            (2020, "urrbmi_pool", "expenditure", 140.0),
            (2019, "uebmi", "income", 400.0),
            (2019, "uebmi", "expenditure", 300.0),
            (2020, "uebmi", "income", 420.0),
            (2020, "uebmi", "expenditure", 370.0),
        ],
    )
    stocks = Stocks.find(history, _population(), 2018, 2020, NOW)
    value = {a: v for a, (v, _) in stocks.opening.items()}
    assert value["urrbmi_pool"] == pytest.approx(300.0 - (120 - 100) - (130 - 140))
    whole = 1500.0 - (400 - 300) - (420 - 370)  # the UEBMI total, split by the pool's share 2/3
    assert value["uebmi_pool"] == pytest.approx(whole * 2 / 3)
    assert value["uebmi_personal"] == pytest.approx(whole / 3)
    assert "ASSUMPTION" in stocks.derived["uebmi_pool"][1]
    assert "projected" in stocks.derived["urrbmi_pool"][1]


def test_a_year_without_the_flows_to_project_it_keeps_what_is_missing_said(
    tmp_path: Path,
) -> None:
    history = _history(tmp_path, [(2019, "urrbmi_pool", "income", 120.0)])  # no spending
    stocks = Stocks.find(history, _population(), 2018, 2020, NOW)
    assert "urrbmi_pool" in stocks.missing_balances
    assert stocks.missing_members == ["urrbmi"]  # the toy has no employees to miss


def _toy_with_history(tmp_path: Path, rows: list[tuple[int, str, str, float]]) -> Path:
    """The toy region with a history, its data year 2020, as a scenario of its own project."""
    import shutil

    project = tmp_path / "toy"
    shutil.copytree(TOY.parent, project)
    _history(project, rows)
    baseline = ROOT / "scenarios" / "nanchuan" / "baseline.yaml"
    text = (
        TOY.read_text(encoding="utf-8")
        .replace(
            "    fertility: fertility.csv\n",
            "    fertility: fertility.csv\n    history: history.csv\n",
        )
        .replace("extends: ../../../scenarios/nanchuan/baseline.yaml", f"extends: {baseline}")
    )
    (project / "toy.yaml").write_text(text, encoding="utf-8")
    return project / "toy.yaml"


def test_a_window_over_the_history_opens_with_the_history_stocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fundsim.scenario.loader import load_scenario
    from fundsim.scenario.schema import Horizon

    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))
    rows = [
        (2018, "urrbmi_pool", "insured", 900.0),  # the toy has no employees: none reported
        (2018, "uebmi_pool", "balance", 7_654_321.0),
        (2018, "uebmi_personal", "balance", 1_234_567.0),
        (2018, "urrbmi_pool", "balance", 3_456_789.0),
    ]
    scenario_file = _toy_with_history(tmp_path, rows)
    window = Horizon(start=dt.date(2019, 1, 1), end=dt.date(2020, 12, 31))
    scenario = load_scenario(scenario_file, horizon=window)
    day = window.start
    for account, value in (("uebmi_pool", 7_654_321), ("urrbmi_pool", 3_456_789)):
        assert scenario.tree.value(f"finance.opening_balance.{account}", day) == value
    assert set(scenario.rebased) >= {"uebmi_pool", "uebmi_personal", "urrbmi_pool"}
    persons = scenario.region_tables["population"].columns
    residents = sum(
        float(p)
        for s, p in zip(persons["scheme"], persons["persons"], strict=True)
        if s == "urrbmi"
    )
    assert residents == pytest.approx(900.0)
    assert scenario.start_note is not None and "2018" in scenario.start_note[1]


def test_a_backtests_forecast_opens_with_the_actual_balances_to_the_yuan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forecast from 2023 of a region whose data year is 2020: it starts from the history's
    stocks of the end of 2022, and its first year closes at opening + income − expenditure."""
    from fundsim.calibration.run import forecast_start, over_history
    from fundsim.ensemble.evaluate import simulate
    from fundsim.scenario.loader import load_scenario

    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))
    actual = {"uebmi_pool": 11_111_111.0, "uebmi_personal": 2_222_222.0, "urrbmi_pool": 5_432_109.0}
    rows = [(2022, a, "balance", v) for a, v in actual.items()] + [
        (2022, "urrbmi_pool", "insured", 1000.0),
    ]
    scenario_file = _toy_with_history(tmp_path, rows)
    original = load_scenario(scenario_file)
    start = forecast_start(original, original.region_tables["history"], 2022)
    assert start == "history"
    forecast = over_history(scenario_file, 2023, 2024, start_from=start)
    ds = simulate(forecast, run=0, seed=1).isel(scenario=0, run=0)
    for account, value in actual.items():
        opening = forecast.tree.value(f"finance.opening_balance.{account}", forecast.horizon.start)
        assert opening == value  # to the yuan
        first = ds.sel(fund=account, year=2023)
        closing = float(first["balance"])
        assert closing == pytest.approx(
            value + float(first["income"]) - float(first["expenditure"]), abs=0.01
        )
    assert np.isfinite(ds["balance"].values).all()


def test_a_scenario_whose_data_year_is_after_until_is_refused_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fundsim.calibration.run import plan

    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))
    rows = [(y, "urrbmi_pool", "expenditure", 1000.0 + y) for y in (2017, 2018, 2019, 2020)]
    scenario_file = _toy_with_history(tmp_path, rows)
    text = scenario_file.read_text(encoding="utf-8")
    text += "calibrate:\n  parameters:\n    care.admission_level: {low: 0.8, high: 1.2}\n"
    scenario_file.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "data_year:" in t)
    with pytest.raises(
        InputError, match=rf"toy.yaml:{line}: region.data_year 2020 is after --until 2018"
    ):
        plan(scenario_file, None, 2018)
