"""Early warnings: each indicator against its thresholds, the worst level a fund reaches, the
pooled funds only; probabilities are counts over runs; a run's stored levels are those its
results and the scenario's thresholds give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import fundsim
from fundsim.results import early_warning as ew
from fundsim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
# (year, indicator, level): reserve months 9/6/3, balance rate 0/-5%/-10%, growth gap 1/3/5 points
LIMITS = np.array([[[9.0, 6.0, 3.0], [0.0, -0.05, -0.10], [0.01, 0.03, 0.05]]] * 6)


def test_each_indicator_against_its_thresholds() -> None:
    reserve = np.array([10.0, 8.0, 5.0, 2.9, 3.0, 12.0])[:, None]
    income = np.full((6, 1), 100.0)
    expenditure = np.array([90.0, 90.0, 90.0, 90.0, 90.0, 115.0])[:, None]  # last: rate -15%
    values = ew.indicators(income, expenditure, reserve)
    got = ew.levels(values, LIMITS, np.array([True]))[:, 0]
    # 10 months: none; 8: yellow; 5: orange; 2.9: red; exactly 3: orange (below 6, not below 3);
    # the last year's deficit of 15% of income is red whatever its reserve
    assert got.tolist() == [0, 1, 2, 3, 2, 3]


def test_the_growth_gap_is_a_three_year_mean_and_only_pooled_funds_warn() -> None:
    income = np.array([100.0, 104.0, 108.16, 112.4864, 116.986])[:, None].repeat(2, axis=1)
    spend = np.array([80.0, 88.0, 96.8, 106.48, 117.128])[:, None].repeat(2, axis=1)  # +10%
    reserve = np.full((5, 2), 20.0)
    values = ew.indicators(income, spend, reserve)
    np.testing.assert_allclose(values[1:, 0, 2], 0.06, atol=1e-6)  # 10% - 4% each year
    assert np.isnan(values[0, 0, 2])
    got = ew.levels(values, LIMITS[:5], np.array([True, False]))
    assert got[1:, 0].tolist() == [3, 3, 3, 3]  # a gap of 6 points is red
    assert not got[:, 1].any()  # not a pooled fund: no warning


def test_probabilities_are_counts_over_runs() -> None:
    codes = np.array([[0, 1, 3, 3], [2, 2, 2, 0]]).T  # (run, year)
    level = xr.DataArray(codes, dims=("run", "year"), coords={"year": [2030, 2031]})
    p = ew.probabilities(level)
    assert p.sel(year=2030).values.tolist() == [0.25, 0.25, 0.0, 0.5]
    assert p.sel(year=2031).values.tolist() == [0.25, 0.0, 0.75, 0.0]
    assert ew.first_year_above(p.sel(level="red").values, [2030, 2031], 0.4) == 2030
    assert ew.first_year_above(p.sel(level="red").values, [2030, 2031], 0.5) is None


def test_a_runs_levels_are_what_its_results_and_thresholds_give() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "nanchuan" / "calibrated.yaml")
    ds = fundsim.simulate(scenario, run=1).isel(scenario=0, run=0)
    years = [int(y) for y in ds.year.values]
    limits = ew.thresholds(scenario.tree.at, years)
    funds = [str(f) for f in ds.fund.values]
    values = ew.indicators(ds.income.values, ds.expenditure.values, ds.reserve_months.values)
    pooled = np.array([f in ("uebmi_pool", "urrbmi_pool") for f in funds])
    np.testing.assert_array_equal(ds.warning_level.values, ew.levels(values, limits, pooled))
    assert ds.warning_level.sel(fund="urrbmi_pool").max() > 0


def test_thresholds_out_of_order_are_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))
    file = tmp_path / "s.yaml"
    file.write_text(
        f"extends: {ROOT / 'scenarios' / 'nanchuan' / 'baseline.yaml'}\nname: t\n"
        "title: {zh: 测试, en: test}\n"
        "parameters:\n  reporting:\n    warning:\n      reserve_months:\n"
        "        red: {value: 7, source: test}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    assert "reserve_months warning thresholds must fall" in str(caught.value)
