"""A city of several areas: the ledger identity of every account of every area and of the
reserve, the city total under one city fund as the sum of its areas, and the reserve's rules
as the simulation applies them (Hengshui-like scenarios, small samples)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundsim.codes import ACCOUNTS, CITY_ACCOUNTS, FLOW_CODES, INCOME, POOLS
from fundsim.ensemble.evaluate import evaluate, simulate
from fundsim.ensemble.sampling import draw_inputs
from fundsim.results.assemble import Books
from fundsim.scenario.loader import Scenario, load_scenario
from fundsim.sim.city import CityModel

ROOT = Path(__file__).resolve().parents[2]
HENGSHUI = ROOT / "scenarios" / "hengshui"
INCOME_FLOWS = [f.name for f in FLOW_CODES if f.direction == INCOME]
SPENDING_FLOWS = [f.name for f in FLOW_CODES if f.direction != INCOME]


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def small(tmp_path: Path, parent: str, extra: str = "") -> Scenario:
    path = tmp_path / f"small-{parent}"
    path.write_text(
        f"extends: {HENGSHUI / parent}\nname: small\ntitle: {{zh: 小样本, en: small sample}}\n"
        "horizon: {start: 2021-01-01, end: 2026-12-31}\n"
        "parameters:\n  population:\n    sample: {value: 0.01, source: test}\n" + extra,
        encoding="utf-8",
    )
    return load_scenario(path)


def fen(values: xr.DataArray) -> np.ndarray:
    return np.round(values.values * 100).astype(np.int64)


@pytest.mark.slow
@pytest.mark.parametrize("parent", ["baseline.yaml", "reserve.yaml", "unified.yaml"])
def test_the_ledger_identity_holds_for_every_account_of_every_area_and_the_reserve(
    tmp_path: Path, parent: str
) -> None:
    scenario = small(tmp_path, parent)
    trees = [a.tree for a in scenario.areas]
    city = CityModel(scenario, scenario.tree, trees, seed=5, run=1)
    city.run()
    for ledger in [a.ledger for a in city.areas] + [city.ledger]:
        books = Books.of(ledger, city.year_bounds, city.month_bounds)
        # the running balance kept entry by entry against the sums by period
        assert list(books.closing[-1]) == ledger.running
        assert list(books.m_closing[-1]) == ledger.running
        change = np.diff(np.vstack([ledger.opening, books.closing]), axis=0)
        assert np.array_equal(change, books.income - books.expenditure)
    ds = simulate(scenario, run=1, seed=5)
    d = ds.isel(scenario=0, run=0)
    for area in d["area"].values:
        one = d.sel(area=area)
        flows = one["by_flow"]
        income = fen(flows.sel(flow=INCOME_FLOWS).sum("flow"))
        spending = fen(flows.sel(flow=SPENDING_FLOWS).sum("flow"))
        assert np.array_equal(income, fen(one["income"])), area
        assert np.array_equal(spending, fen(one["expenditure"])), area
        balance = fen(one["balance"])
        assert np.array_equal(np.diff(balance, axis=0), (income - spending)[1:]), area


@pytest.mark.slow
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(run=st.integers(0, 10_000))
def test_under_one_city_fund_the_total_is_the_sum_of_the_areas(tmp_path: Path, run: int) -> None:
    scenario = small(
        tmp_path,
        "baseline.yaml",
        "  pooling:\n    mode: {value: unified, source: test}\n",
    )
    d = evaluate(scenario, run, 7, draw_inputs(scenario, 7, run)).isel(scenario=0, run=0)
    areas = [a.key for a in scenario.areas]
    parts = d.sel(area=areas, fund=list(ACCOUNTS))
    whole = d.sel(area="total", fund=list(ACCOUNTS))
    for variable in ("by_flow", "income", "expenditure", "balance", "cash_balance", "insured"):
        assert np.array_equal(
            np.round(parts[variable].sum("area").values * 100),
            np.round(whole[variable].values * 100),
        ), variable
    # no money moves within the city, and the reserves stay as they opened
    internal = [f.name for f in FLOW_CODES if f.internal]
    assert not d["by_flow"].sel(flow=internal).any()
    assert not d["balance"].sel(area="city", fund=list(CITY_ACCOUNTS)).any()


@pytest.mark.slow
def test_an_area_draws_only_after_its_own_balance_is_used_and_the_budget_pays_its_share(
    tmp_path: Path,
) -> None:
    scenario = small(tmp_path, "reserve.yaml")
    share = float(scenario.tree.value("pooling.reserve.fiscal_share", scenario.horizon.end))
    drew = 0
    for run in range(3):
        d = simulate(scenario, run=run, seed=11).isel(scenario=0, run=0)
        for area in [a.key for a in scenario.areas]:
            for pool in POOLS:
                one = d.sel(area=area, fund=pool.account)
                draws = one["by_flow"].sel(flow="reserve_draws_in").values
                fiscal = one["by_flow"].sel(flow="fiscal_deficit_cover").values
                uncovered = one["deficit_uncovered"].values
                balance = one["balance"].values
                for y in range(len(draws)):
                    covered = draws[y] + fiscal[y]
                    if covered == 0:
                        continue
                    drew += 1
                    # the cover brings the balance to zero (less what the reserve lacked): it
                    # was below zero, its own money used up, and nothing more is drawn
                    assert balance[y] == pytest.approx(-uncovered[y], abs=0.01)
                    assert fiscal[y] == pytest.approx(share * (covered + uncovered[y]), abs=0.02)
    assert drew > 0  # the scenario has areas in deficit


@pytest.mark.slow
def test_each_area_pays_its_share_of_the_years_own_income_from_the_reserves_first_year(
    tmp_path: Path,
) -> None:
    scenario = small(tmp_path, "reserve.yaml")
    d = simulate(scenario, run=2, seed=3).isel(scenario=0, run=0)
    internal = {f.name for f in FLOW_CODES if f.internal} | {"fiscal_deficit_cover"}
    own = [f for f in INCOME_FLOWS if f not in internal]
    for area in [a.key for a in scenario.areas]:
        for pool in POOLS:
            flows = d["by_flow"].sel(area=area, fund=pool.account)
            paid = flows.sel(flow="reserve_contributions").values
            income = flows.sel(flow=own).sum("flow").values
            years = d["year"].values
            share = np.array(
                [
                    float(scenario.tree.value("pooling.reserve.share", dt.date(int(y), 12, 31)))
                    if scenario.tree.value("pooling.mode", dt.date(int(y), 12, 31)) == "reserve"
                    else 0.0
                    for y in years
                ]
            )
            # income of a year before the reserve owes nothing; later, the year's own income
            np.testing.assert_allclose(paid, share * np.maximum(income, 0), rtol=1e-9, atol=0.02)
